// How waiting on many futures scales: n futures complete, in a scrambled order and spread over
// event-loop turns, while one consumer waits on all of them through asCompleted() or wait().
// Each waiter is told about each future in O(1), so the total time should grow linearly with n:
// the ns per future should stay about the same from 10k to 1M (a little higher at 1M, where the
// futures no longer fit in the CPU caches and the garbage collector has a large heap to walk;
// a quadratic cost would multiply it by 100).
//
//   npm run bench:futures            (n = 10k, 100k, 1M)
//   npm run bench:futures -- 100000  (chosen sizes)

import { ALL_COMPLETED, FIRST_EXCEPTION, Future, asCompleted, wait } from '../src/index.js';

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const NS = sizes.length > 0 ? sizes : [10_000, 100_000, 1_000_000];
const BATCH = 1_000; // futures completed per event-loop turn
const REPEAT_UNTIL = 300_000; // sizes below this run ceil(REPEAT_UNTIL / n) times; the fastest counts

type Scenario = (n: number) => Promise<number>; // resolves with how many futures it saw done

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Completes every future, in a scrambled order, BATCH per event-loop turn. */
async function completeAll(futures: Future<number>[]): Promise<void> {
  const n = futures.length;
  // 7919 is prime and n is not a multiple of it, so i * 7919 % n visits every index once.
  for (let i = 0; i < n; i++) {
    const index = (i * 7919) % n;
    const future = futures[index]!;
    future.setRunningOrNotifyCancel();
    future.setResult(index);
    if (i % BATCH === BATCH - 1) await nextTurn();
  }
}

function makeFutures(n: number): Future<number>[] {
  const futures = new Array<Future<number>>(n);
  for (let i = 0; i < n; i++) futures[i] = new Future<number>();
  return futures;
}

const scenarios: Record<string, Scenario> = {
  async asCompleted(n) {
    const futures = makeFutures(n);
    let seen = 0;
    const consumer = (async () => {
      for await (const future of asCompleted(futures)) {
        if (future.done()) seen++;
      }
    })();
    await nextTurn(); // the consumer's first step registers its waiter on every future
    await completeAll(futures);
    await consumer;
    return seen;
  },

  async 'wait ALL_COMPLETED'(n) {
    const futures = makeFutures(n);
    const waiting = wait(futures, { returnWhen: ALL_COMPLETED });
    await completeAll(futures);
    return (await waiting).done.size;
  },

  async 'wait FIRST_EXCEPTION'(n) {
    const futures = makeFutures(n);
    const waiting = wait(futures, { returnWhen: FIRST_EXCEPTION });
    await completeAll(futures);
    return (await waiting).done.size;
  },
};

interface Timing {
  wallNs: number;
  cpuNs: number;
}

async function measure(scenario: Scenario, n: number): Promise<Timing> {
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const seen = await scenario(n);
  const wallNs = Number(process.hrtime.bigint() - start);
  const cpu = process.cpuUsage(cpuStart);
  if (seen !== n) throw new Error(`expected ${n} futures done, saw ${seen}`);
  return { wallNs, cpuNs: (cpu.user + cpu.system) * 1000 };
}

function row(cells: Array<string | number>): string {
  const widths = [22, 11, 11, 11, 15];
  return cells
    .map((cell, i) =>
      i === 0 ? String(cell).padEnd(widths[i]!) : String(cell).padStart(widths[i]!),
    )
    .join('');
}

async function main(): Promise<void> {
  console.log(`Futures completing through asCompleted() and wait() — Node ${process.version}`);
  console.log(
    `(${BATCH} completions per event-loop turn, scrambled order; time includes creating the futures.`,
  );
  console.log(` CPU time is this process's own: on a busy machine it is steadier than wall time.`);
  console.log(
    ` Below ${REPEAT_UNTIL.toLocaleString('en-US')} futures, the fastest of several runs.)\n`,
  );
  console.log(row(['scenario', 'n', 'wall ms', 'cpu ms', 'cpu ns/future']));

  for (const [name, scenario] of Object.entries(scenarios)) {
    await measure(scenario, 10_000); // warm-up: let the JIT compile the hot paths first
    const perFuture: number[] = [];
    for (const n of NS) {
      // Small sizes run several times and keep the fastest run: one 10k run lasts a few ms, and a
      // single GC pause or a busy neighbour would swamp it.
      const runs = Math.max(1, Math.ceil(REPEAT_UNTIL / n));
      let { wallNs, cpuNs } = await measure(scenario, n);
      for (let run = 1; run < runs; run++) {
        const timing = await measure(scenario, n);
        if (timing.cpuNs < cpuNs) ({ wallNs, cpuNs } = timing);
      }
      perFuture.push(cpuNs / n);
      const ms = (ns: number) => (ns / 1e6).toFixed(1);
      console.log(
        row([name, n.toLocaleString('en-US'), ms(wallNs), ms(cpuNs), Math.round(cpuNs / n)]),
      );
    }
    if (NS.length > 1) {
      const growth = perFuture[perFuture.length - 1]! / perFuture[0]!;
      const span = NS[NS.length - 1]! / NS[0]!;
      console.log(
        `${''.padEnd(22)}n ×${span}: cpu ns/future ×${growth.toFixed(2)} (linear: about ×1; quadratic: ×${span})\n`,
      );
    }
  }
}

await main();
