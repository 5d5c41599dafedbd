// Helpers for the ThreadPoolExecutor tests: gates that block a call inside a worker until the test
// lets it go (so "while it runs" is a fact, not a timing guess), and what Node says about live threads.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { ThreadPoolExecutor } from 'concurrent-futures';

/** The built package, as a child script imports it. */
export const DIST_URL = new URL('../../dist/index.js', import.meta.url).href;
export const ROOT = new URL('../../', import.meta.url).pathname;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it holds; fails after `limitMs` (generous: a busy machine is slow, not wrong). */
export async function until(
  predicate: () => boolean,
  what: string,
  limitMs = 15000,
): Promise<void> {
  const end = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`Timed out waiting until ${what}.`);
    await sleep(2);
  }
}

/**
 * A gate shared with workers. Slot 0: set to 1 by the blocking call once it runs. Slot 1: set by
 * the test to let it finish. Slots 2..: one counter per other call, bumped when that call runs.
 */
export class Gate {
  readonly sab: SharedArrayBuffer;
  readonly view: Int32Array;

  constructor(counters = 0) {
    this.sab = new SharedArrayBuffer((2 + counters) * 4);
    this.view = new Int32Array(this.sab);
  }

  started(): Promise<void> {
    return until(() => Atomics.load(this.view, 0) === 1, 'the blocking call started');
  }

  release(): void {
    Atomics.store(this.view, 1, 1);
    Atomics.notify(this.view, 1);
  }

  /** How many times call `i` ran. */
  runs(i: number): number {
    return Atomics.load(this.view, 2 + i);
  }

  totalRuns(): number {
    let sum = 0;
    for (let i = 2; i < this.view.length; i++) sum += Atomics.load(this.view, i);
    return sum;
  }
}

/** Runs in a worker: says it started, then blocks its thread until the test releases the gate. */
export const block = (sab: SharedArrayBuffer, value: unknown = 'released'): unknown => {
  const view = new Int32Array(sab);
  Atomics.store(view, 0, 1);
  Atomics.wait(view, 1, 0, 20000);
  return value;
};

/** Runs in a worker: records that call `i` ran. */
export const record = (sab: SharedArrayBuffer, i: number): number => {
  Atomics.add(new Int32Array(sab), 2 + i, 1);
  return i;
};

/**
 * Warms a pool of one worker up with trivial calls, so that its hand-ahead window is wide open
 * and the next burst of calls is handed to the worker ahead of time.
 */
export async function warmUp(executor: ThreadPoolExecutor, calls = 3000): Promise<void> {
  const futures = [];
  for (let i = 0; i < calls; i++) futures.push(executor.submit((x: number) => x, i));
  await Promise.all(futures);
}

/** threadIds of the worker threads alive in this process, as Node's diagnostic report sees them. */
export function liveThreadIds(): number[] {
  const report = process.report.getReport() as {
    workers?: Array<{ header?: { threadId?: number } }>;
  };
  return (report.workers ?? []).map((worker) => worker.header?.threadId ?? -1);
}

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Writes `files` to a fresh temp dir and runs `node [...nodeArgs] <main>` there; kills it after `limitMs`. */
export async function runChild(
  files: Record<string, string>,
  main: string,
  nodeArgs: string[] = [],
  limitMs = 20000,
): Promise<ChildRun> {
  const dir = mkdtempSync(join(tmpdir(), 'cf-thread-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const started = Date.now();
    const child = spawn(process.execPath, [...nodeArgs, join(dir, main)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    clearTimeout(killer);
    return { code, signal, stdout, stderr, ms: Date.now() - started };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
