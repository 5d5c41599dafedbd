// Helpers for the reliability tests: pools of either kind that are always cleaned up (even when a
// test fails), a record of which calls ran (shared memory for threads, a file for processes, since
// nothing is shared with a child), checks that pids and threads are gone, and bounds that turn a
// hang into a failure instead of a stuck test run.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  type ProcessPoolExecutorOptions,
  type ThreadPoolExecutorOptions,
} from 'concurrent-futures';
import { killLeftovers, sleep, withTimeout } from '../support/processes.js';

export { isAlive, sleep, stillAliveAfter, withTimeout } from '../support/processes.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const HERE = fileURLToPath(new URL('.', import.meta.url));

export type PoolKind = 'thread' | 'process';
export const KINDS: PoolKind[] = ['thread', 'process'];
export type AnyPool = ThreadPoolExecutor | ProcessPoolExecutor;

const pools = new Set<AnyPool>();
const seenPids = new Set<number>();
const spawned = new Set<ChildProcess>();
const scratch: string[] = [];

/** A pool of `kind` that is ended after the test whatever happened in it. */
export function makePool(kind: 'thread', options?: ThreadPoolExecutorOptions): ThreadPoolExecutor;
export function makePool(
  kind: 'process',
  options?: ProcessPoolExecutorOptions,
): ProcessPoolExecutor;
export function makePool(
  kind: PoolKind,
  options?: ThreadPoolExecutorOptions & ProcessPoolExecutorOptions,
): AnyPool;
export function makePool(
  kind: PoolKind,
  options?: ThreadPoolExecutorOptions & ProcessPoolExecutorOptions,
): AnyPool {
  const executor =
    kind === 'thread'
      ? new ThreadPoolExecutor(options as ThreadPoolExecutorOptions)
      : new ProcessPoolExecutor(options as ProcessPoolExecutorOptions);
  pools.add(executor);
  return executor;
}

/** Ends a pool at once (process: SIGKILL; thread: its calls not started are cancelled) and forgets it. */
export async function endPool(executor: AnyPool): Promise<void> {
  pools.delete(executor);
  notePids(executor);
  await withTimeout(
    executor instanceof ProcessPoolExecutor
      ? executor.killWorkers()
      : executor.shutdown({ wait: true, cancelFutures: true }),
    20_000,
    'ending a pool',
  ).catch((error: unknown) => console.error(error));
}

/** Remembers the pids a process pool has now, so that cleanup can SIGKILL any left over. */
export function notePids(executor: AnyPool): number[] {
  const ids = executor.workerIds;
  if (executor instanceof ProcessPoolExecutor) for (const pid of ids) seenPids.add(pid);
  return ids;
}

export function trackPids(pids: Iterable<number>): void {
  for (const pid of pids) seenPids.add(pid);
}

/** Ends every pool, spawned process and stray pid of the test. Thread pools have no kill: calls are cancelled. */
export function cleanUpAfterEach(): void {
  afterEach(async () => {
    const ending: Promise<unknown>[] = [];
    for (const executor of pools) {
      notePids(executor);
      ending.push(
        executor instanceof ProcessPoolExecutor
          ? executor.killWorkers()
          : executor.shutdown({ wait: true, cancelFutures: true }),
      );
    }
    pools.clear();
    killLeftovers(spawned, seenPids);
    spawned.clear();
    seenPids.clear();
    await withTimeout(Promise.allSettled(ending), 20_000, 'cleaning up the pools').catch(
      (error: unknown) => console.error(error),
    );
  });
  afterAll(() => {
    for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
}

/** A fresh directory, removed after the test file. */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cf-reliability-'));
  scratch.push(dir);
  return dir;
}

export function readLines(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((line) => line !== '');
}

/**
 * Which calls ran, and how often. A thread pool's calls bump a counter in a SharedArrayBuffer; a
 * process pool's calls append `index pid` to a file. `token` is what a call is given to record with.
 */
export class RunLog {
  readonly token: SharedArrayBuffer | string;
  readonly #counts: Int32Array | undefined;

  constructor(kind: PoolKind, slots: number) {
    if (kind === 'thread') {
      this.token = new SharedArrayBuffer(slots * 4);
      this.#counts = new Int32Array(this.token);
    } else {
      this.token = join(scratchDir(), 'runs.log');
      this.#counts = undefined;
    }
  }

  /** How many times call `index` ran so far. */
  runs(): Map<number, number> {
    const counts = new Map<number, number>();
    if (this.#counts !== undefined) {
      this.#counts.forEach((_, i) => {
        const n = Atomics.load(this.#counts!, i);
        if (n > 0) counts.set(i, n);
      });
    } else {
      for (const line of readLines(this.token as string)) {
        const index = Number(line.split(' ')[0]);
        counts.set(index, (counts.get(index) ?? 0) + 1);
      }
    }
    return counts;
  }

  /** Pids that recorded a run (process pools only). */
  pids(): number[] {
    if (this.#counts !== undefined) return [];
    return [...new Set(readLines(this.token as string).map((line) => Number(line.split(' ')[1])))];
  }
}

/**
 * Runs in a worker: records that call `index` ran (see RunLog), then does what `kind` says. Kept
 * self-contained: it travels by its source text.
 */
export async function task(
  log: SharedArrayBuffer | string,
  index: number,
  kind: string,
  ms: number,
): Promise<number> {
  if (typeof log === 'string') {
    const fs = process.getBuiltinModule('node:fs');
    fs.appendFileSync(log, `${index} ${process.pid}\n`);
  } else {
    Atomics.add(new Int32Array(log), index, 1);
  }
  if (kind === 'slow') await new Promise((resolve) => setTimeout(resolve, ms));
  if (kind === 'busy') {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      // holds the worker's thread
    }
  }
  if (kind === 'exit') process.exit(3); // a thread: that thread ends; a process: the child dies
  if (kind === 'spin') {
    for (;;) {
      // while (true) {}: only ending the worker stops it (scheduled with a timeout)
    }
  }
  if (kind === 'throw') throw new RangeError(`task ${index} threw`);
  if (kind === 'reject') {
    await Promise.resolve();
    throw new URIError(`task ${index} rejected`);
  }
  if (kind === 'nonError') throw index;
  return index * 2;
}

/** What `task(log, index, kind)` ends with, for a future that was not cancelled. */
export function expectedOutcome(
  index: number,
  kind: string,
): { value: number } | { error: string | number } {
  if (kind === 'throw') return { error: `RangeError: task ${index} threw` };
  if (kind === 'reject') return { error: `URIError: task ${index} rejected` };
  if (kind === 'nonError') return { error: index };
  return { value: index * 2 };
}

/** threadIds of the worker threads alive in this process, as Node's diagnostic report sees them. */
export function liveThreadIds(): number[] {
  const report = process.report.getReport() as {
    workers?: Array<{ header?: { threadId?: number } }>;
  };
  return (report.workers ?? []).map((worker) => worker.header?.threadId ?? -1);
}

/** Polls `check` until it is true, or fails after `ms` (a generous bound: a hang is the failure). */
export async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() >= deadline) throw new Error(`Timed out after ${ms} ms waiting until ${what}.`);
    await sleep(10);
  }
}

/** The settled outcome of a promise, never throwing: for checks on what a call ended with. */
export async function outcomeOf(
  promise: PromiseLike<unknown>,
): Promise<{ value: unknown } | { error: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

export const MB = 1024 * 1024;

export interface NodeRun {
  child: ChildProcess;
  stdout(): string;
  /** Resolves with the first stdout line matching `pattern` (fails after `ms`). */
  line(pattern: RegExp, ms?: number): Promise<string>;
}

/** Runs `node ...args` from the repository root, with piped output; always killed after the test. */
export function runNode(args: string[]): NodeRun {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  return {
    child,
    stdout: () => out,
    async line(pattern, ms = 20_000) {
      let found: string | undefined;
      await until(
        () =>
          (found = out.split('\n').find((line) => pattern.test(line))) !== undefined ||
          child.exitCode !== null,
        `a line matching ${pattern} (stdout so far: ${JSON.stringify(out)}, stderr: ${JSON.stringify(err)})`,
        ms,
      );
      if (found === undefined) {
        throw new Error(`node exited before printing ${pattern}; stdout: ${out}; stderr: ${err}`);
      }
      return found;
    },
  };
}
