// The prime-checking job of Python's concurrent.futures documentation, on a ProcessPoolExecutor
// and on a ThreadPoolExecutor, each timed against the same job run serially on this thread.
//
//   node --import tsx examples/primes.ts [--count N] [--workers N] [--by-reference] [--no-progress]
//
// By default it checks the six numbers of the Python docs four times over (24 numbers): the six
// alone cap two workers at 1.77x before start-up is counted.
//
// Both pools receive `isPrime` by its source text, as Python's `executor.map(is_prime, PRIMES)`
// passes the function itself: it works because `isPrime` is self-contained (it uses only its
// parameter and `Math`), and a worker that runs only such calls never loads the TypeScript loader.
//
// With `--by-reference`, the process pool receives it the other way a function can travel,
// `fromModule(import.meta.url, 'isPrime')`, as Python pickles a module-level function: every child
// then imports this very module, which is why the job below only starts under
// `isMain(import.meta.url)` (Python's `if __name__ == '__main__':`). Under tsx each child must
// first load the TypeScript loader to import a .ts file (0.1-0.2 s a child on 2 cores, more on a
// busy machine, see docs/design.md "Start-up"): on a job this short, that start-up is what shows.

import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import {
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  fromModule,
  type Callable,
  type Executor,
} from 'concurrent-futures';
import { seconds, table } from './support/format.js';
import { isMain } from './support/is-main.js';
import { createReporter } from './support/progress.js';

/** The six numbers of the Python docs' example, four times over, by default (see `count`). */
export const DEFAULT_COUNT = 24;

export const PRIMES = [
  112272535095293, 112582705942171, 112272535095293, 115280095190773, 115797848077099,
  1099726899285419,
];

/** Trial division, exactly as in the Python docs. Self-contained, so it can travel by source. */
export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n === 2) return true;
  if (n % 2 === 0) return false;
  const sqrtN = Math.floor(Math.sqrt(n));
  for (let i = 3; i <= sqrtN; i += 2) {
    if (n % i === 0) return false;
  }
  return true;
}

export interface PrimesOptions {
  /**
   * How many numbers to check: the docs' list, repeated as needed. Default 24, the six numbers four
   * times over: with six alone, two workers get three numbers each, at best 1.77x serial before
   * the workers' start-up, which would then decide the result.
   */
  count?: number;
  /** Workers in each pool. Default `os.availableParallelism()`, as for Python's process pool. */
  workers?: number;
  /**
   * Give the process pool `isPrime` by reference (`fromModule`) instead of by source: each child
   * then imports this module, and under tsx loads the TypeScript loader first. Default false.
   */
  byReference?: boolean;
  /** A progress bar: `'auto'` (default) shows one on a terminal when the job has 30 numbers or more. */
  progress?: boolean | 'auto';
  /** Where lines go. Default `console.log`. */
  print?: (line: string) => void;
}

export interface PrimesRun {
  name: string;
  workers: number;
  ms: number;
  /** Serial time divided by this run's time. */
  speedup: number;
  results: boolean[];
}

export interface PrimesReport {
  numbers: number[];
  serial: { ms: number; results: boolean[] };
  runs: PrimesRun[];
}

/** Checks the numbers serially, then on each pool, printing every answer as it arrives. */
export async function runPrimes(options: PrimesOptions = {}): Promise<PrimesReport> {
  const count = options.count ?? DEFAULT_COUNT;
  const workers = options.workers ?? availableParallelism();
  const print = options.print ?? console.log;
  const numbers = Array.from({ length: count }, (_, i) => PRIMES[i % PRIMES.length]!);

  print(`== Primes: ${count} numbers${describeInput(count)}, ${workers} workers per pool ==`);
  print(
    options.byReference
      ? 'isPrime travels by reference to the processes (fromModule: each child imports this module) and by source to the threads'
      : 'isPrime travels by source to both pools (--by-reference: by module to the processes)',
  );
  let started = performance.now();
  const serialResults = numbers.map(isPrime);
  const serial = { ms: performance.now() - started, results: serialResults };
  print(`serial, on this thread: ${seconds(serial.ms)}`);

  // Node 20 reads and parses the CA bundle that NODE_EXTRA_CA_CERTS names at every process start
  // (~45 ms with a system bundle), which this job would time as the pool's start-up. These children
  // make no TLS connection, so they start without it; children that call https hosts signed by
  // those CAs need it (docs/design.md, "Start-up").
  const childEnv = withoutExtraCaCerts();
  if (childEnv !== undefined)
    print('the processes start without NODE_EXTRA_CA_CERTS: they make no TLS connection');

  const runs: PrimesRun[] = [];
  const pools: Array<{ name: string; create: () => Executor; fn: Callable<[number], boolean> }> = [
    {
      name: 'ProcessPoolExecutor',
      create: () => new ProcessPoolExecutor({ maxWorkers: workers, env: childEnv }),
      fn: options.byReference ? fromModule<typeof isPrime>(import.meta.url, 'isPrime') : isPrime,
    },
    {
      name: 'ThreadPoolExecutor',
      create: () => new ThreadPoolExecutor({ maxWorkers: workers }),
      fn: isPrime,
    },
  ];
  for (const pool of pools) {
    print(`-- ${pool.name}.map --`);
    const reporter = createReporter({
      total: count,
      label: pool.name,
      progress: options.progress ?? 'auto',
      longJob: 30,
      print,
    });
    const results: boolean[] = [];
    started = performance.now();
    {
      // The time includes starting the workers and shutting them down, as the Python job's does.
      await using executor = pool.create();
      let index = 0;
      for await (const prime of executor.map(pool.fn, numbers)) {
        results.push(prime);
        reporter.line(`${numbers[index++]} is prime: ${prime}`);
        reporter.tick();
      }
    }
    const ms = performance.now() - started;
    reporter.stop();
    const agrees = results.every((answer, i) => answer === serialResults[i]);
    print(
      `${pool.name}: ${seconds(ms)}, ${(serial.ms / ms).toFixed(2)}x the serial speed; answers agree with the serial run: ${agrees ? 'yes' : 'NO'}`,
    );
    runs.push({ name: pool.name, workers, ms, speedup: serial.ms / ms, results });
  }

  print('');
  for (const line of table(
    ['run', 'workers', 'time', 'speed-up'],
    [
      ['serial (this thread)', '1', seconds(serial.ms), '1.00x'],
      ...runs.map((run) => [
        run.name + '.map',
        String(run.workers),
        seconds(run.ms),
        `${run.speedup.toFixed(2)}x`,
      ]),
    ],
  )) {
    print(line);
  }
  return { numbers, serial, runs };
}

/** This process's environment less NODE_EXTRA_CA_CERTS; undefined (the default: the same) if it has none. */
function withoutExtraCaCerts(): NodeJS.ProcessEnv | undefined {
  if (process.env.NODE_EXTRA_CA_CERTS === undefined) return undefined;
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** How the input relates to the Python docs' six numbers, e.g. " (the six numbers of the Python docs, four times over)". */
function describeInput(count: number): string {
  if (count % PRIMES.length !== 0) return ` (the Python docs' six numbers, repeated)`;
  const times = count / PRIMES.length;
  const words = ['', 'once', 'twice', 'three times over', 'four times over', 'five times over'];
  return ` (the six numbers of the Python docs, ${words[times] ?? `${times} times over`})`;
}

/** Reads `--count N`, `--workers N`, `--by-reference` and `--no-progress`. */
export function parsePrimesArgs(argv: string[]): PrimesOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      count: { type: 'string' },
      workers: { type: 'string' },
      'by-reference': { type: 'boolean' },
      'no-progress': { type: 'boolean' },
    },
  });
  return {
    count: positiveInteger(values.count, '--count'),
    workers: positiveInteger(values.workers, '--workers'),
    byReference: values['by-reference'] === true,
    progress: values['no-progress'] === true ? false : 'auto',
  };
}

function positiveInteger(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Expected ${flag} to be an integer >= 1, got ${JSON.stringify(text)}.`);
  }
  return value;
}

if (isMain(import.meta.url)) {
  await runPrimes(parsePrimesArgs(process.argv.slice(2)));
}
