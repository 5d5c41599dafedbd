// The soak run (`npm run soak`, not part of `npm test`): for `--minutes` (default 5), a thread pool
// and a process pool side by side take a steady stream of mixed calls — fast and slow, sync and
// async, ones that throw or reject, ones cancelled right after submit, maps broken off early —
// while a worker is killed every few seconds (`--kill-every`, default 3 s): a thread pool's call
// exits its thread (the pool replaces it), a process pool's child gets SIGKILL from outside (the
// pool breaks, and the soak starts a new one, as a user would). Every outcome is checked against
// what its call should give (calls whose argument, result or thrown value cannot travel must each
// fail alone, saying why); anything else, or no progress for 30 s, is a failure. Prints progress
// every 30 s and, at the end, calls done, errors seen by kind, and RSS at the start and the end.
//
//   npm run soak                        # 5 minutes
//   npm run soak -- --minutes 1 --kill-every 2 --workers 3 --kind process

import { parseArgs } from 'node:util';
import {
  BrokenProcessPool,
  CancelledError,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  type Future,
} from 'concurrent-futures';

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    'kill-every': { type: 'string', default: '3' },
    workers: { type: 'string', default: '2' },
    kind: { type: 'string', default: 'both' },
  },
});
const minutes = Number(flags.minutes);
const killEveryMs = Number(flags['kill-every']) * 1000;
const maxWorkers = Number(flags.workers);
if (!(minutes > 0) || !(killEveryMs > 0) || !Number.isInteger(maxWorkers) || maxWorkers < 1) {
  console.error(
    'Usage: npm run soak -- [--minutes 5] [--kill-every 3] [--workers 2] [--kind thread|process|both]',
  );
  process.exit(2);
}
const kinds =
  flags.kind === 'both'
    ? (['thread', 'process'] as const)
    : ([flags.kind] as ['thread' | 'process']);

type Kind = 'thread' | 'process';
type Pool = ThreadPoolExecutor | ProcessPoolExecutor;

/** The calls of the mix (self-contained: they travel by source text). */
function work(mode: string, n: number): number | Promise<number> {
  if (mode === 'fast') return n * 2;
  if (mode === 'busy') {
    const end = Date.now() + (n % 5);
    while (Date.now() < end) {
      // a few ms of CPU
    }
    return n * 2;
  }
  if (mode === 'slow') return new Promise((resolve) => setTimeout(() => resolve(n * 2), n % 20));
  if (mode === 'throw') throw new RangeError(`call ${n} threw`);
  if (mode === 'reject') return Promise.reject(new URIError(`call ${n} rejected`));
  if (mode === 'exit') process.exit(7);
  throw new Error(`unknown mode ${mode}`);
}

const MODES = ['fast', 'fast', 'fast', 'busy', 'slow', 'slow', 'throw', 'reject'];
// Calls whose argument, result or thrown value cannot travel: each must fail alone, saying why.
const TRAVEL_MODES = ['bad-result', 'bad-thrown', 'bad-argument', 'getter-argument'];
const ALL_MODES = [...MODES, ...TRAVEL_MODES];

/** The calls of TRAVEL_MODES; `_extra` is the argument that may not travel. */
function travel(mode: string, n: number, _extra: unknown): number {
  if (mode === 'bad-result' || mode === 'bad-thrown') {
    // An Error whose cause is itself: serialises, but cannot be read back on the other side.
    const error = new Error(`call ${n}`) as Error & { cause?: unknown };
    error.cause = error;
    if (mode === 'bad-thrown') throw error;
    return error as unknown as number;
  }
  return n * 2;
}

/** The extra argument of a call of `mode`: one that cannot be read back, or cannot be serialised. */
function extraFor(mode: string): unknown {
  if (mode === 'bad-argument') {
    const error = new Error('argument') as Error & { cause?: unknown };
    error.cause = error;
    return error;
  }
  if (mode === 'getter-argument') {
    return {
      get boom(): never {
        throw new Error('getter');
      },
    };
  }
  return undefined;
}

/** The failure a call of a travel mode must end with. */
const TRAVEL_FAILURES: Record<string, RegExp> = {
  'bad-result': /could not be read back from the worker/,
  'bad-thrown': /^call \d+$/,
  'bad-argument': /arguments of this call could not be read back/,
  'getter-argument': /could not be sent to a worker/,
};

interface Stats {
  submitted: number;
  succeeded: number;
  /** Errors seen, by how the future ended. */
  errors: Map<string, number>;
  cancelled: number;
  mapsBroken: number;
  /** Maps that ended with the pool under them broken. */
  mapErrors: number;
  workersKilled: number;
  poolsReplaced: number;
  unexpected: string[];
  lastProgress: number;
}

function newStats(): Stats {
  return {
    submitted: 0,
    succeeded: 0,
    errors: new Map(),
    cancelled: 0,
    mapsBroken: 0,
    mapErrors: 0,
    workersKilled: 0,
    poolsReplaced: 0,
    unexpected: [],
    lastProgress: Date.now(),
  };
}

function count(stats: Stats, what: string): void {
  stats.errors.set(what, (stats.errors.get(what) ?? 0) + 1);
}

function unexpected(stats: Stats, what: string): void {
  if (stats.unexpected.length < 20) stats.unexpected.push(what);
  else stats.unexpected[19] = `... and more (last: ${what})`;
}

const MB = 1024 * 1024;
const rssStart = process.memoryUsage().rss;
const deadline = Date.now() + minutes * 60_000;
const IN_FLIGHT = 200;
const childPids = new Set<number>(); // every child process seen: none may outlive the soak

/** Drives one kind of pool until the deadline; resolves once its last pool has shut down. */
async function soak(kind: Kind, stats: Stats): Promise<void> {
  const create = (): Pool =>
    kind === 'thread'
      ? new ThreadPoolExecutor({ maxWorkers })
      : new ProcessPoolExecutor({ maxWorkers });
  let pool = create();
  let killedAt = 0; // the moment this kind last killed a worker: losses to a broken pool are expected after it
  let inFlight = 0;
  let n = 0;

  const settle = (future: Future<number>, mode: string, arg: number): void => {
    inFlight++;
    future.addDoneCallback(async (done) => {
      inFlight--;
      stats.lastProgress = Date.now();
      if (done.cancelled()) {
        stats.cancelled++;
        return;
      }
      try {
        const value = await done.result();
        if (
          value !== arg * 2 ||
          mode === 'throw' ||
          mode === 'reject' ||
          mode === 'exit' ||
          mode in TRAVEL_FAILURES
        ) {
          unexpected(stats, `${kind}: ${mode}(${arg}) returned ${value}`);
        } else stats.succeeded++;
      } catch (error) {
        const name = (error as Error)?.name ?? typeof error;
        count(stats, name);
        const expected =
          (mode === 'throw' &&
            error instanceof RangeError &&
            (error as Error).message === `call ${arg} threw`) ||
          (mode === 'reject' && error instanceof URIError) ||
          (mode in TRAVEL_FAILURES && TRAVEL_FAILURES[mode]!.test((error as Error).message)) ||
          (mode === 'exit' &&
            kind === 'thread' &&
            /died while running this call/.test((error as Error).message)) ||
          (error instanceof BrokenProcessPool && kind === 'process' && killedAt > 0);
        if (!expected) unexpected(stats, `${kind}: ${mode}(${arg}) failed with ${String(error)}`);
      }
    });
  };

  const submitOne = (): void => {
    const mode = ALL_MODES[n % ALL_MODES.length]!;
    const arg = n++;
    let future: Future<number>;
    try {
      future =
        mode in TRAVEL_FAILURES
          ? pool.submit(travel, mode, arg, extraFor(mode))
          : pool.submit(work, mode, arg);
    } catch (error) {
      if (!(error instanceof BrokenProcessPool)) throw error;
      replace();
      return;
    }
    stats.submitted++;
    settle(future, mode, arg);
    // One call in 16 is cancelled at once: in the tick of its submit it must always succeed.
    if (arg % 16 === 5 && !future.cancel())
      unexpected(stats, `${kind}: cancel() in the tick of submit() failed`);
  };

  const replace = (): void => {
    const old = pool;
    void old.shutdown({ wait: false });
    pool = create();
    stats.poolsReplaced++;
  };

  const mapThenBreak = async (): Promise<void> => {
    const base = n;
    n += 50;
    const items = Array.from({ length: 50 }, (_, i) => base + i);
    try {
      let i = 0;
      for await (const value of pool.map(
        work,
        items.map(() => 'fast'),
        items,
        { buffersize: 8 },
      )) {
        if (value !== (base + i) * 2) unexpected(stats, `${kind}: map item ${i} gave ${value}`);
        if (++i === 20) break;
      }
      stats.mapsBroken++;
      stats.lastProgress = Date.now();
    } catch (error) {
      if (error instanceof BrokenProcessPool || error instanceof CancelledError) stats.mapErrors++;
      else unexpected(stats, `${kind}: map failed with ${String(error)}`);
    }
  };

  const killOne = (): void => {
    killedAt = Date.now();
    stats.workersKilled++;
    if (pool instanceof ProcessPoolExecutor) {
      const pid = pool.workerIds[0];
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    } else {
      const arg = n++;
      stats.submitted++;
      settle(pool.submit(work, 'exit', arg), 'exit', arg);
    }
  };

  let nextKill = Date.now() + killEveryMs;
  for (let round = 1; Date.now() < deadline; round++) {
    while (inFlight < IN_FLIGHT) submitOne();
    if (kind === 'process') for (const pid of pool.workerIds) childPids.add(pid);
    if (round % 40 === 0) await mapThenBreak();
    if (Date.now() >= nextKill) {
      killOne();
      nextKill += killEveryMs;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await pool.shutdown();
}

function line(kind: Kind, stats: Stats): string {
  const errors = [...stats.errors].map(([name, k]) => `${name} ${k}`).join(', ') || 'none';
  return (
    `${kind}: submitted ${stats.submitted}, succeeded ${stats.succeeded}, cancelled ${stats.cancelled}, ` +
    `maps broken off ${stats.mapsBroken} (ended by a broken pool ${stats.mapErrors}), workers killed ${stats.workersKilled}, pools replaced ${stats.poolsReplaced}; ` +
    `errors: ${errors}; unexpected: ${stats.unexpected.length}`
  );
}

const all = new Map<Kind, Stats>(kinds.map((kind) => [kind, newStats()]));
console.log(
  `soak: ${minutes} min, ${kinds.join(' + ')} pool(s) of ${maxWorkers} workers, a worker killed every ${killEveryMs / 1000} s; RSS at start ${(rssStart / MB).toFixed(1)} MB`,
);
const started = Date.now();
let hung = false;
const progress = setInterval(() => {
  const elapsed = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`[${elapsed} s] RSS ${(process.memoryUsage().rss / MB).toFixed(1)} MB`);
  for (const [kind, stats] of all) {
    console.log(`  ${line(kind, stats)}`);
    if (Date.now() - stats.lastProgress > 30_000) {
      hung = true;
      console.error(`  ${kind}: no call has finished for 30 s: a hang`);
    }
  }
  if (hung) process.exit(1);
}, 30_000);

await Promise.all([...all].map(([kind, stats]) => soak(kind, stats)));
clearInterval(progress);

// Every child of every pool (the broken ones included) has exited.
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
for (let waited = 0; [...childPids].some(alive) && waited < 10_000; waited += 100) {
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const survivors = [...childPids].filter(alive);
if (survivors.length > 0)
  all.get('process')?.unexpected.push(`child processes still alive: ${survivors.join(', ')}`);

const rssEnd = process.memoryUsage().rss;
console.log(`\nsoak done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
let failed = false;
for (const [kind, stats] of all) {
  const done =
    stats.succeeded + stats.cancelled + [...stats.errors.values()].reduce((a, b) => a + b, 0);
  // Every pool has shut down: every submitted call must have ended one way or another.
  if (done !== stats.submitted) unexpected(stats, `${stats.submitted - done} calls never ended`);
  console.log(`${kind}: calls done ${done}; ${line(kind, stats)}`);
  for (const what of stats.unexpected) console.log(`  unexpected: ${what}`);
  if (stats.unexpected.length > 0) failed = true;
}
console.log(`child processes seen ${childPids.size}, still alive ${survivors.length}`);
console.log(`RSS at start ${(rssStart / MB).toFixed(1)} MB, at end ${(rssEnd / MB).toFixed(1)} MB`);
process.exitCode = failed ? 1 : 0;
