// The URL-fetching job of Python's concurrent.futures documentation, three ways, side by side:
//   1. on a ThreadPoolExecutor, reading the futures with asCompleted (the docs' own shape);
//   2. on a ThreadPoolExecutor, with wait(..., { returnWhen: FIRST_EXCEPTION }): stop at the first failure;
//   3. on an EventLoopExecutor, with asCompleted: the same calls on this thread's own event loop.
//
//   node --import tsx examples/urls.ts [--urls FILE] [--workers N] [--timeout MS] [--call-timeout MS|0]
//                                      [--no-progress]
//
// By default it serves its own pages on 127.0.0.1 (known sizes, one slow page, one that fails with
// status 500), so it runs without a network, and gives each call 2 s from its start (`schedule`):
// the slow page shows as timed out, its fetch stopped through currentSignal(). `--urls FILE`
// fetches your list (one URL a line), with no call timeout unless you give one.

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  EventLoopExecutor,
  FIRST_EXCEPTION,
  ThreadPoolExecutor,
  asCompleted,
  wait,
  type Executor,
  type Future,
} from 'concurrent-futures';
import { megabytes, seconds, table } from './support/format.js';
import { isMain } from './support/is-main.js';
import { startPageServer, type PageServer, type PageServerOptions } from './support/page-server.js';
import { createReporter, type Reporter } from './support/progress.js';

/**
 * Fetches `url` within `timeoutMs` ms and returns its bytes, like the docs' `load_url`; a status
 * other than 2xx is an error, as with urllib. Self-contained (it uses only its parameters and
 * globals), so it travels to a worker thread by its source text; the EventLoopExecutor calls it
 * as it is. It passes its call's `currentSignal()` to fetch, so when the executor ends the call
 * (its per-call timeout passed), the request stops at once and the worker is free again.
 */
export async function loadUrl(url: string, timeoutMs: number): Promise<Uint8Array> {
  const { currentSignal } = await import('concurrent-futures');
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), currentSignal()]);
  const response = await fetch(url, { signal });
  if (!response.ok) {
    await response.body?.cancel(); // frees the connection for the next request
    throw new Error(`HTTP Error ${response.status}: ${response.statusText}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

export interface UrlsOptions {
  /** The URLs to fetch. Default: the pages of a local server started for the job. */
  urls?: string[];
  /** Calls at once, on every executor. Default 5, as in the Python docs. */
  workers?: number;
  /** Per fetch, in ms: the fetch's own deadline, as in the docs. Default 60000 (the docs' 60 s). */
  timeoutMs?: number;
  /**
   * Per call, in ms, enforced by the executor from the call's start (`schedule`): a call past it
   * fails with TimeoutError and is ended. Default: 2000 against the local server (whose slow page
   * takes 5 s, so it shows as timed out), none with your own URLs; 0: none.
   */
  callTimeoutMs?: number;
  /** A progress bar: `'auto'` (default) shows one on a terminal when there are 30 URLs or more. */
  progress?: boolean | 'auto';
  /** Latency of the local server's pages. */
  server?: PageServerOptions;
  /** Where lines go. Default `console.log`. */
  print?: (line: string) => void;
}

export interface UrlsRun {
  name: string;
  /** The byte count of each URL that loaded. */
  loaded: Map<string, number>;
  /** The error of each URL that failed. */
  failed: Map<string, unknown>;
  /** URLs whose calls had not finished when the run gave its answer (the wait variant only). */
  notDone: string[];
  /** Until every answer was in. */
  ms: number;
  /** Until the executor had shut down (it waits for calls still running). */
  shutdownMs: number;
  /** The most calls running at once: counted by the local server, else sampled from `running()`. */
  callsAtOnce: number;
  /** Growth of the process's resident memory at its peak, in bytes. */
  memory: number;
}

export interface UrlsReport {
  urls: string[];
  /** The byte count each of the local server's ordinary pages should give (empty with a user's list). */
  expected: Map<string, number>;
  runs: UrlsRun[];
}

/** Runs the three variants one after the other and prints them side by side. */
export async function runUrls(options: UrlsOptions = {}): Promise<UrlsReport> {
  const print = options.print ?? console.log;
  const workers = options.workers ?? 5;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const server = options.urls === undefined ? await startPageServer(options.server) : undefined;
  try {
    const urls = options.urls ?? server!.pages.map((page) => page.url);
    const expected = new Map(
      server?.pages.flatMap((page) =>
        typeof page.expect === 'number' ? [[page.url, page.expect] as const] : [],
      ) ?? [],
    );
    print(
      `== URLs: ${urls.length} pages, ${workers} calls at once${server ? ', from a local server' : ''} ==`,
    );

    const job: Job = {
      urls,
      server,
      timeoutMs,
      callTimeoutMs: (options.callTimeoutMs ?? (server ? 2000 : 0)) || undefined,
      print,
      progress: options.progress ?? 'auto',
    };
    // Node loads its fetch implementation on first use (about 10 MB): load it now, so that the memory
    // of the first run on this thread does not include it.
    await (await fetch('data:text/plain,warm-up')).text();
    const runs = [
      await fetchAsCompleted(
        'ThreadPoolExecutor + asCompleted',
        new ThreadPoolExecutor({ maxWorkers: workers }),
        job,
      ),
      await fetchUntilFirstFailure(
        'ThreadPoolExecutor + wait(FIRST_EXCEPTION)',
        new ThreadPoolExecutor({ maxWorkers: workers }),
        job,
      ),
      // The same loadUrl: the pools send it to their threads by source text; nothing travels
      // to an EventLoopExecutor, which calls the function itself.
      await fetchAsCompleted(
        'EventLoopExecutor + asCompleted',
        new EventLoopExecutor({ maxWorkers: workers }),
        job,
      ),
    ];

    print('');
    const rows = runs.map((run) => [
      run.name,
      String(run.loaded.size),
      String(run.failed.size),
      String(run.notDone.length),
      seconds(run.ms),
      seconds(run.shutdownMs),
      String(run.callsAtOnce),
      megabytes(run.memory),
    ]);
    const header = [
      'run',
      'loaded',
      'failed',
      'not done',
      'time',
      'with shutdown',
      'calls at once',
      'memory',
    ];
    for (const line of table(header, rows)) print(line);
    if (expected.size > 0) {
      const right = runs.every((run) =>
        [...run.loaded].every(([url, bytes]) => expected.get(url) === bytes),
      );
      print(`byte counts match the pages served: ${right ? 'yes' : 'NO'}`);
    }
    return { urls, expected, runs };
  } finally {
    await server?.close();
  }
}

interface Job {
  urls: string[];
  server: PageServer | undefined;
  timeoutMs: number;
  callTimeoutMs: number | undefined;
  print: (line: string) => void;
  progress: boolean | 'auto';
}

/** The Python docs' loop: submit every URL, then report each future as it completes. */
async function fetchAsCompleted(name: string, executor: Executor, job: Job): Promise<UrlsRun> {
  const run = startRun(name, job);
  const futureToUrl = new Map<Future<Uint8Array>, string>();
  {
    await using pool = executor;
    for (const url of job.urls) futureToUrl.set(submitLoad(pool, url, job), url);
    run.watch(futureToUrl.keys());
    for await (const future of asCompleted(futureToUrl.keys())) {
      await run.report(futureToUrl.get(future)!, future);
    }
    run.answered();
  }
  return run.finish();
}

/** Submit every URL, wait for the first failure (or for all), cancel what has not started. */
async function fetchUntilFirstFailure(
  name: string,
  executor: Executor,
  job: Job,
): Promise<UrlsRun> {
  const run = startRun(name, job);
  const futureToUrl = new Map<Future<Uint8Array>, string>();
  {
    await using pool = executor;
    for (const url of job.urls) futureToUrl.set(submitLoad(pool, url, job), url);
    run.watch(futureToUrl.keys());
    const { done, notDone } = await wait(futureToUrl.keys(), { returnWhen: FIRST_EXCEPTION });
    // `done` is a Set: report in the order the URLs were given.
    for (const [future, url] of futureToUrl) if (done.has(future)) await run.report(url, future);
    for (const [future, url] of futureToUrl) {
      if (!notDone.has(future)) continue;
      // cancel() stops a call that has not started; one that is running goes on, and the
      // executor's shutdown at the end of this block waits for it.
      const what = future.cancel() ? 'cancelled before it started' : 'running; left to finish';
      run.reporter.line(`'${url}' not done at the first failure: ${what}`);
      run.notDone.push(url);
    }
    run.answered();
  }
  return run.finish();
}

/**
 * Submits one load. With a call timeout the executor itself enforces the deadline from the call's
 * start (`schedule`): past it the future fails with TimeoutError and the call is ended.
 */
function submitLoad(executor: Executor, url: string, job: Job): Future<Uint8Array> {
  if (job.callTimeoutMs === undefined) return executor.submit(loadUrl, url, job.timeoutMs);
  return executor.schedule(loadUrl, { args: [url, job.timeoutMs], timeout: job.callTimeoutMs });
}

/** The bookkeeping of one run: its lines, its clock, and a sampler of memory and calls running. */
function startRun(name: string, job: Job) {
  job.print(`-- ${name} --`);
  const reporter: Reporter = createReporter({
    total: job.urls.length,
    label: name,
    progress: job.progress,
    longJob: 30,
    print: job.print,
  });
  job.server?.takePeakRequests(); // count this run's requests only
  const started = performance.now();
  const baseline = process.memoryUsage().rss;
  let peakRss = baseline;
  let callsAtOnce = 0;
  let watched: Future<unknown>[] = [];
  const sample = (): void => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    let running = 0;
    for (const future of watched) if (future.running()) running++;
    callsAtOnce = Math.max(callsAtOnce, running);
  };
  const sampler = setInterval(sample, 5);
  let answeredMs = 0;
  const run = {
    reporter,
    loaded: new Map<string, number>(),
    failed: new Map<string, unknown>(),
    notDone: [] as string[],
    /** A future counts as running until its result reaches this thread, a little after its request ends. */
    watch(futures: Iterable<Future<unknown>>): void {
      watched = [...futures];
    },
    async report(url: string, future: Future<Uint8Array>): Promise<void> {
      try {
        const data = await future.result();
        run.loaded.set(url, data.byteLength);
        reporter.line(`'${url}' page is ${data.byteLength} bytes`);
      } catch (error) {
        run.failed.set(url, error);
        if (error instanceof Error && error.name === 'TimeoutError') {
          reporter.line(`'${url}' timed out: ${error.message}`);
        } else {
          reporter.line(
            `'${url}' generated an exception: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      reporter.tick();
    },
    answered(): void {
      sample();
      answeredMs = performance.now() - started;
    },
    finish(): UrlsRun {
      clearInterval(sampler);
      sample();
      reporter.stop();
      const result: UrlsRun = {
        name,
        loaded: run.loaded,
        failed: run.failed,
        notDone: run.notDone,
        ms: answeredMs,
        shutdownMs: performance.now() - started,
        callsAtOnce: job.server?.takePeakRequests() ?? callsAtOnce,
        memory: peakRss - baseline,
      };
      job.print(
        `${name}: ${result.loaded.size} loaded, ${result.failed.size} failed, ${result.notDone.length} not done, in ${seconds(result.ms)}`,
      );
      return result;
    },
  };
  return run;
}

/** Reads `--urls FILE`, `--workers N`, `--timeout MS`, `--call-timeout MS` and `--no-progress`. */
export async function parseUrlsArgs(argv: string[]): Promise<UrlsOptions> {
  const { values } = parseArgs({
    args: argv,
    options: {
      urls: { type: 'string' },
      workers: { type: 'string' },
      timeout: { type: 'string' },
      'call-timeout': { type: 'string' },
      'no-progress': { type: 'boolean' },
    },
  });
  const options: UrlsOptions = { progress: values['no-progress'] === true ? false : 'auto' };
  if (values.urls !== undefined) {
    const text = await readFile(values.urls, 'utf8');
    options.urls = text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
  }
  if (values.workers !== undefined)
    options.workers = positiveNumber(values.workers, '--workers', true);
  if (values.timeout !== undefined)
    options.timeoutMs = positiveNumber(values.timeout, '--timeout', false);
  if (values['call-timeout'] !== undefined) {
    // 0 turns the call timeout off.
    const text = values['call-timeout'];
    options.callTimeoutMs = text.trim() === '0' ? 0 : positiveNumber(text, '--call-timeout', false);
  }
  return options;
}

function positiveNumber(text: string, flag: string, integer: boolean): number {
  const value = Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `Expected ${flag} to be ${integer ? 'an integer' : 'a number'} > 0, got ${JSON.stringify(text)}.`,
    );
  }
  return value;
}

if (isMain(import.meta.url)) {
  await runUrls(await parseUrlsArgs(process.argv.slice(2)));
}
