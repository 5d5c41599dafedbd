// Helpers for the dispatch tests: pools of both kinds that are always ended, and calls that say
// which worker ran them, so a test judges how calls were spread by what each worker ran, never by
// the clock.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessPoolExecutor, ThreadPoolExecutor } from 'concurrent-futures';

export type Pool = ThreadPoolExecutor | ProcessPoolExecutor;

export const KINDS = [
  ['ThreadPoolExecutor', (maxWorkers: number): Pool => new ThreadPoolExecutor({ maxWorkers })],
  ['ProcessPoolExecutor', (maxWorkers: number): Pool => new ProcessPoolExecutor({ maxWorkers })],
] as const;

const pools = new Set<Pool>();

/** A pool that is killed after the test whatever happened in it. */
export function track<T extends Pool>(pool: T): T {
  pools.add(pool);
  return pool;
}

export function cleanUpAfterEach(): void {
  afterEach(async () => {
    const all = [...pools];
    pools.clear();
    await Promise.all(
      all.map((pool) =>
        pool instanceof ProcessPoolExecutor
          ? pool.killWorkers()
          : pool.shutdown({ wait: true, cancelFutures: true }),
      ),
    );
  });
}

/** Sleeps `ms` synchronously (blocking its worker, as a CPU-bound call does, without using a core); returns who ran it. */
export function work(ms: number): string {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const { threadId } = process.getBuiltinModule('node:worker_threads');
  return `${process.pid}/${threadId}`;
}

/** A function of its own, for warming a pool up on fast calls. */
export function noop(x: number): number {
  return x;
}

/** How many calls each worker ran, largest first. */
export function perWorker(ranBy: string[]): number[] {
  const counts = new Map<string, number>();
  for (const who of ranBy) counts.set(who, (counts.get(who) ?? 0) + 1);
  return [...counts.values()].sort((a, b) => b - a);
}

// ── Gates ──────────────────────────────────────────────────────────────────────────────────────
// A call that sleeps X ms and a test that looks after a short pause judge the parent's speed: a
// loaded machine stalls it for up to a second, and then it reads the workers' messages before its
// timers already due. A call that waits at a gate the test opens is still running when the test
// looks, however late that is, so what the test sees is where the pool put each call.

/**
 * Where gated calls wait. For threads, shared memory: cell 0 is 1 once open, cell 1 counts the
 * calls that started. A child process shares no memory with the test: a file path, open once the
 * file exists; each call that starts appends a byte to the path + '.started'.
 */
export type Gate = SharedArrayBuffer | string;

const gates = new Set<Gate>();
const gateDirs: string[] = [];

/** A closed gate for calls on a pool of `kind` ('ThreadPoolExecutor' or 'ProcessPoolExecutor'). */
export function newGate(kind: string): Gate {
  let gate: Gate;
  if (kind === 'ProcessPoolExecutor') {
    const dir = mkdtempSync(join(tmpdir(), 'cf-gate-'));
    gateDirs.push(dir);
    gate = join(dir, 'open');
  } else gate = new SharedArrayBuffer(8);
  gates.add(gate);
  return gate;
}

export function openGate(gate: Gate): void {
  if (typeof gate === 'string') writeFileSync(gate, '');
  else {
    const cells = new Int32Array(gate);
    Atomics.store(cells, 0, 1);
    Atomics.notify(cells, 0);
  }
}

/** How many calls have started at `gate`. */
export function startedAt(gate: Gate): number {
  if (typeof gate !== 'string') return Atomics.load(new Int32Array(gate), 1);
  try {
    return readFileSync(`${gate}.started`).length;
  } catch {
    return 0;
  }
}

/**
 * Opens every gate after each test, so that no pool's clean-up waits for a gated call, and
 * removes their files after the last. Call it before cleanUpAfterEach(): hooks run in the order
 * declared.
 */
export function openGatesAfterEach(): void {
  afterEach(() => {
    for (const gate of gates) openGate(gate);
    gates.clear();
  });
  afterAll(() => {
    for (const dir of gateDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * As `work`: sleeps `ms`, returns who ran it; given a `gate`, waits there instead until the test
 * opens it (20 s at most, so that nothing hangs). One function for both, so that a pool times the
 * gated calls and the others as one function (it knows a function by its source).
 */
export function gated(ms: number, gate?: Gate): string {
  const sleep = (t: number): unknown =>
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, t);
  if (gate === undefined) {
    if (ms > 0) sleep(ms);
  } else if (typeof gate === 'string') {
    const fs = process.getBuiltinModule('node:fs');
    fs.appendFileSync(`${gate}.started`, 'x');
    for (const until = Date.now() + 20_000; !fs.existsSync(gate) && Date.now() < until;) sleep(2);
  } else {
    const cells = new Int32Array(gate);
    Atomics.add(cells, 1, 1);
    Atomics.wait(cells, 0, 0, 20_000);
  }
  const { threadId } = process.getBuiltinModule('node:worker_threads');
  return `${process.pid}/${threadId}`;
}

/** `promise`, or a failure naming `what` after `ms` (shorter than a gate's bound of 20 s). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}.`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
