// The functions the ending suite submits. Each is self-contained (parameters, globals and what it
// imports itself with `await import()`), because the pools send a function to a worker by its
// source text. They tell the test what happened through files (which every executor's calls can
// write) and through the worker's globalThis (which outlives one call on the same worker).
//
// A slow call never sleeps in one piece: it polls for the `release` file the test writes when it
// is done (or for its directory to be gone), so a call a test abandoned (or a failed test left
// running) ends within milliseconds and keeps no worker, and no jest process, alive.

/** What a slow call is told: where to write its marks, how long to take, what to return. */
export interface SlowJob {
  /** `${dir}/${label}.started` (holding the worker id), `.aborted` (the reason), `.finished`. */
  dir: string;
  label: string;
  ms: number;
  /** Stop as soon as currentSignal() aborts (a cooperative call); else ignore the signal. */
  stopOnAbort: boolean;
  value: unknown;
}

/** The id of the worker that runs the call: its threadId in a worker thread, else the pid. */
export async function workerId(): Promise<number> {
  const threads = await import('node:worker_threads');
  return threads.isMainThread ? process.pid : threads.threadId;
}

/** Loops forever: only ending its worker stops it. */
export function spinForever(): never {
  while (true) {
    // forever
  }
}

/** Writes `${dir}/${label}.started` (the worker id), then loops forever, deaf to SIGTERM. */
export async function spinDeafToSigterm(dir: string, label: string): Promise<never> {
  const fs = await import('node:fs');
  process.on('SIGTERM', () => undefined);
  fs.writeFileSync(`${dir}/${label}.started`, String(process.pid));
  while (true) {
    // forever
  }
}

/**
 * Marks its start, then takes `job.ms` (or less: see `stopOnAbort` and the release file), marking
 * an abort of its currentSignal() when it sees one, then marks its end and returns `job.value`.
 */
export async function slowCall(job: SlowJob): Promise<unknown> {
  const fs = await import('node:fs');
  const threads = await import('node:worker_threads');
  const { currentSignal } = await import('concurrent-futures');
  const mark = (suffix: string, text: string): void => {
    try {
      // Written aside and renamed, so a test polling for the mark never reads it half-written.
      const path = `${job.dir}/${job.label}.${suffix}`;
      fs.writeFileSync(`${path}.partial`, text);
      fs.renameSync(`${path}.partial`, path);
    } catch {
      // The test is over and its directory gone: nobody is looking any more.
    }
  };
  const signal = currentSignal();
  let aborted = false;
  const onAbort = (): void => {
    aborted = true;
    const reason = signal.reason as { name?: unknown; message?: unknown } | undefined;
    mark('aborted', `${String(reason?.name)}: ${String(reason?.message)}`);
  };
  // On a busy machine the timeout may pass while the imports above still load.
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort);
  mark('started', String(threads.isMainThread ? process.pid : threads.threadId));
  const end = Date.now() + job.ms;
  const testIsOver = (): boolean => fs.existsSync(`${job.dir}/release`) || !fs.existsSync(job.dir);
  while (Date.now() < end && !(job.stopOnAbort && aborted) && !testIsOver()) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  mark('finished', 'finished');
  return job.value;
}

/** Marks that it ran and returns `value`: a call that must never start. */
export async function markRan(dir: string, label: string, value: unknown): Promise<unknown> {
  const fs = await import('node:fs');
  fs.writeFileSync(`${dir}/${label}.started`, 'ran');
  return value;
}

/** Appends `item` to `file`: every run leaves one line. */
export async function appendItem(file: string, item: number): Promise<number> {
  const fs = await import('node:fs');
  fs.appendFileSync(file, `${item}\n`);
  return item;
}

/**
 * fetch()es `url` with the call's currentSignal(), and records in the worker's globalThis[key]
 * how the fetch ended ("answered", or the error's name and message), before passing it on.
 */
export async function fetchWithCurrentSignal(url: string, key: string): Promise<string> {
  const { currentSignal } = await import('concurrent-futures');
  const scope = globalThis as Record<string, unknown>;
  try {
    await fetch(url, { signal: currentSignal() });
  } catch (error) {
    scope[key] = `${(error as Error).name}: ${(error as Error).message}`;
    throw error;
  }
  scope[key] = 'answered';
  return 'answered';
}

/** Loads fetch() and concurrent-futures in the worker (both load lazily); returns the worker id. */
export async function warmUpFetch(readyUrl: string): Promise<number> {
  await import('concurrent-futures');
  const response = await fetch(readyUrl);
  if ((await response.text()) !== 'ready') throw new Error(`${readyUrl} did not answer "ready".`);
  const threads = await import('node:worker_threads');
  return threads.isMainThread ? process.pid : threads.threadId;
}

export function readGlobal(key: string): unknown {
  return (globalThis as Record<string, unknown>)[key];
}

/** As an initializer: records in globalThis[key] what currentSignal() did there. */
export async function probeSignalInInitializer(key: string): Promise<void> {
  const { currentSignal } = await import('concurrent-futures');
  const scope = globalThis as Record<string, unknown>;
  try {
    currentSignal();
    scope[key] = 'no error';
  } catch (error) {
    scope[key] = `${(error as Error).name}: ${(error as Error).message}`;
  }
}

/** currentSignal() before and after several kinds of await: [an AbortSignal, same after a timer, same in a nested async call, aborted]. */
export async function signalAcrossAwaits(): Promise<boolean[]> {
  const { currentSignal } = await import('concurrent-futures');
  const before = currentSignal();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const afterTimer = currentSignal();
  const nested = await (async () => {
    await null;
    await new Promise((resolve) => setImmediate(resolve));
    return currentSignal();
  })();
  return [before instanceof AbortSignal, afterTimer === before, nested === before, before.aborted];
}

/** Returns its currentSignal() before and after a timer (by reference: for the EventLoopExecutor). */
export async function signalBeforeAndAfter(ms: number): Promise<AbortSignal[]> {
  const { currentSignal } = await import('concurrent-futures');
  const before = currentSignal();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return [before, currentSignal()];
}

/** On its currentSignal()'s abort, the worker exits by itself (code 0) before it can be ended. */
export async function exitOnAbort(dir: string, label: string): Promise<never> {
  const fs = await import('node:fs');
  const { currentSignal } = await import('concurrent-futures');
  const signal = currentSignal();
  if (signal.aborted) process.exit(0); // the timeout passed while the imports above loaded
  signal.addEventListener('abort', () => process.exit(0));
  fs.writeFileSync(`${dir}/${label}.started`, 'started');
  return new Promise<never>(() => undefined);
}
