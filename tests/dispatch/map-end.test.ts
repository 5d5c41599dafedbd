// Issue 16: a map that ends any way (break, return(), its timeout, a failing call) cancels every
// call not yet started. A process pool hands a function it has not yet seen finish fast at most
// one call ahead per busy worker (Python's EXTRA_QUEUED_CALLS = 1), so at most that many more run;
// a thread pool cancels exactly: only the calls already running finish. Counted by what the
// workers ran, after the pool has drained.
//
// The calls after those the ending needs wait at a gate that the test opens only once the map has
// ended, so no worker can finish one and start another while the parent is slow to react (a
// loaded CI machine once stalled it past a 15 ms call): the counts depend on dispatch, not speed.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessPoolExecutor, ThreadPoolExecutor, TimeoutError } from 'concurrent-futures';
import { cleanUpAfterEach, noop, track } from './support.js';

cleanUpAfterEach();

const WORKERS = 2;
const ITEMS = 40;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Notes its start in `log` (a file: processes share nothing else). Items before `gatedFrom` take
 * 15 ms (item 2 fails when the log's name says so); the others wait until the file `gate` exists.
 */
function logged(log: string, gate: string, gatedFrom: number, i: number): number {
  const fs = process.getBuiltinModule('node:fs');
  fs.appendFileSync(log, `${i}\n`);
  const sleep = (ms: number): unknown =>
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  if (i < gatedFrom) sleep(15);
  else
    for (const until = Date.now() + 10_000; !fs.existsSync(gate) && Date.now() < until;) sleep(2);
  if (i === 2 && log.endsWith('fails')) throw new Error(`item ${i} fails`);
  return i;
}

/** The same for threads: counts starts in `shared[0]`, and the gate is `shared[1]` becoming 1. */
function counted(shared: SharedArrayBuffer, gatedFrom: number, i: number, fails: boolean): number {
  const cells = new Int32Array(shared);
  Atomics.add(cells, 0, 1);
  if (i < gatedFrom) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 15);
  else Atomics.wait(cells, 1, 0, 10_000);
  if (i === 2 && fails) throw new Error(`item ${i} fails`);
  return i;
}

/** The first item that waits at the gate: the failing call needs items 0–2 to end the map, the rest item 0. */
const gatedFrom = (ending: Ending): number => (ending === 'failing call' ? 3 : 1);

type Ending = 'break' | 'return' | 'timeout' | 'failing call';
const ENDINGS: Ending[] = ['break', 'return', 'timeout', 'failing call'];

/** Iterates `run` and ends it the given way; how many results it yielded. */
async function consume(run: AsyncIterableIterator<number>, ending: Ending): Promise<number> {
  let yielded = 0;
  if (ending === 'return') {
    await run.next();
    await run.return!();
    return 1;
  }
  try {
    for (let step = await run.next(); !step.done; step = await run.next()) {
      yielded++;
      if (ending === 'break') {
        await run.return!(); // what `break` in for await does
        break;
      }
    }
  } catch (error) {
    if (ending === 'timeout') expect(error).toBeInstanceOf(TimeoutError);
    else expect((error as Error).message).toBe('item 2 fails');
    return yielded;
  }
  if (ending !== 'break') throw new Error(`the map was to end by ${ending}, but it ran out`);
  return yielded;
}

describe('ProcessPoolExecutor: a map that ends leaves at most one extra call per worker', () => {
  test.each(ENDINGS)('%s', async (ending) => {
    const pool = track(new ProcessPoolExecutor({ maxWorkers: WORKERS }));
    // A fast function timed first: the pool must not judge the map's function by it.
    await Promise.all(Array.from({ length: 2000 }, (_, i) => pool.submit(noop, i).result()));
    const dir = mkdtempSync(join(tmpdir(), 'cf-dispatch-'));
    dirs.push(dir);
    const log = join(dir, ending === 'failing call' ? 'fails' : 'log');
    const gate = join(dir, 'gate');
    const run = pool.map(
      logged,
      Array(ITEMS).fill(log),
      Array(ITEMS).fill(gate),
      Array(ITEMS).fill(gatedFrom(ending)),
      Array.from({ length: ITEMS }, (_, i) => i),
      {
        timeout: ending === 'timeout' ? 100 : undefined,
      },
    );
    const yielded = await consume(run, ending);
    writeFileSync(gate, '');
    await pool.shutdown({ wait: true });
    const started = readFileSync(log, 'utf8').trim().split('\n').length;
    // Those yielded (or failed), those finished on other workers but not yet yielded (fewer than
    // one per worker), those running when the map ended (one per worker), one ahead per worker.
    // Handed ahead whole, all ITEMS ran.
    const failed = ending === 'failing call' ? 1 : 0;
    expect(started).toBeLessThanOrEqual(yielded + failed + 3 * WORKERS - 1);
  });
});

describe('ThreadPoolExecutor: a map that ends runs no call that had not started', () => {
  test.each(ENDINGS)('%s', async (ending) => {
    const pool = track(new ThreadPoolExecutor({ maxWorkers: WORKERS }));
    await Promise.all(Array.from({ length: 2000 }, (_, i) => pool.submit(noop, i).result()));
    const shared = new SharedArrayBuffer(8);
    const run = pool.map(
      counted,
      Array(ITEMS).fill(shared),
      Array(ITEMS).fill(gatedFrom(ending)),
      Array.from({ length: ITEMS }, (_, i) => i),
      Array(ITEMS).fill(ending === 'failing call'),
      { timeout: ending === 'timeout' ? 100 : undefined },
    );
    const yielded = await consume(run, ending);
    const cells = new Int32Array(shared);
    Atomics.store(cells, 1, 1);
    Atomics.notify(cells, 1);
    await pool.shutdown({ wait: true });
    // Those yielded (or failed), those finished on other workers but not yet yielded (fewer than
    // one per worker), those running when the map ended: none of those handed ahead.
    const failed = ending === 'failing call' ? 1 : 0;
    expect(Atomics.load(cells, 0)).toBeLessThanOrEqual(yielded + failed + 2 * WORKERS - 1);
  });
});
