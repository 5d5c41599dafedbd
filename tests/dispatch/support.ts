// Helpers for the dispatch tests: pools of both kinds that are always ended, and calls that say
// which worker ran them, so a test judges how calls were spread by what each worker ran, never by
// the clock.

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
