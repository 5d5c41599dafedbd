/* global AbortSignal */
// One adapter per library under test, so that every workload drives every library the same way:
//
//   const mod = await adapter.load();          // imports, never timed
//   const pool = adapter.create(mod, workers); // the constructor: first-result latency starts here
//   await pool.run('inc', 41);                 // one call of a task in workers/tasks.cjs, by name
//   pool.map?.('inc', items, chunksize)        // only where the library has a map
//   await pool.close();
//
// Each library gets its idiomatic form: our pools take the function itself (it travels by source
// text), piscina/tinypool a filename and an export name, workerpool a method name, poolifier a task
// function name. Every pool is fixed at `workers` workers where the library lets us say so.
//
// The environment each gives its child processes, as configured here (defaults): ours, the
// parent's (as Python's); workerpool's `fork()` with no `env`, the parent's; poolifier's
// `cluster.fork()`, the parent's merged with its own; tinypool's child_process, none at all
// (`{ ...options.env, TINYPOOL_WORKER_ID }` with `options.env` undefined). So that this difference
// does not decide the first-result figures, the runner takes NODE_EXTRA_CA_CERTS, which costs each
// Node process ~45 ms at start, out of every sample's environment (runner/environment.ts).

import { createRequire } from 'node:module';
import { URL } from 'node:url';

const require = createRequire(import.meta.url);
const tasks = require('../workers/tasks.cjs');
const worker = (name) => new URL(`../workers/${name}`, import.meta.url);
const workerPath = (name) => worker(name).pathname;

/** Thrown when a library or a feature is not there: the sample reports a skip, not a failure. */
export class Skip extends Error {
  name = 'Skip';
}

/** The task functions as async calls, for the event-loop libraries (nothing travels there). */
const asyncTasks = {
  inc: async (x) => x + 1,
};

async function loadOurs() {
  return import('concurrent-futures');
}

function ourPool(executor) {
  return {
    executor,
    run: (name, arg) => executor.submit(tasks[name], arg),
    runLimited: (name, arg, ms) => executor.schedule(tasks[name], { args: [arg], timeout: ms }),
    async map(name, items, chunksize) {
      let count = 0;
      let last;
      for await (const result of executor.map(tasks[name], items, { chunksize })) {
        count++;
        last = result;
      }
      return { count, last };
    },
    close: () => executor.shutdown(),
  };
}

export const LIBRARIES = {
  // The queue section's two sides (sample/queue.mjs drives them itself: a queue needs Redis and
  // hosts, not a pool made here).
  'ours-queue': { kind: 'queue', queue: 'ours' },
  bullmq: { kind: 'queue', queue: 'raw' },
  'ours-threads': {
    kind: 'threads',
    load: loadOurs,
    create: (m, workers) => ourPool(new m.ThreadPoolExecutor({ maxWorkers: workers })),
  },
  'ours-processes': {
    kind: 'processes',
    load: loadOurs,
    // execArgv is the parent's by default; the sample runs on plain node, so that is [] here too.
    create: (m, workers) => ourPool(new m.ProcessPoolExecutor({ maxWorkers: workers })),
  },
  'ours-eventloop': {
    kind: 'eventloop',
    async load() {
      const m = await loadOurs();
      if (typeof m.EventLoopExecutor !== 'function')
        throw new Skip('EventLoopExecutor is not exported from the package yet');
      return m;
    },
    create(m, concurrency) {
      const executor = new m.EventLoopExecutor({ maxWorkers: concurrency });
      return {
        executor,
        run: (name, arg) => executor.submit(asyncTasks[name], arg),
        close: () => executor.shutdown(),
      };
    },
  },

  piscina: {
    kind: 'threads',
    load: () => import('piscina'),
    create(m, workers) {
      const pool = new m.Piscina({
        filename: worker('tasks.mjs').href,
        minThreads: workers,
        maxThreads: workers,
      });
      return {
        run: (name, arg) => pool.run(arg, { name }),
        runLimited: (name, arg, ms) => pool.run(arg, { name, signal: AbortSignal.timeout(ms) }),
        close: () => pool.destroy(),
      };
    },
  },
  'tinypool-threads': {
    kind: 'threads',
    load: () => import('tinypool'),
    create: (m, workers) => tinypool(m, workers, 'worker_threads'),
  },
  'tinypool-processes': {
    kind: 'processes',
    load: () => import('tinypool'),
    create: (m, workers) => tinypool(m, workers, 'child_process'),
  },
  'workerpool-threads': {
    kind: 'threads',
    load: () => import('workerpool'),
    create: (m, workers) => workerpool(m, workers, 'thread'),
  },
  'workerpool-processes': {
    kind: 'processes',
    load: () => import('workerpool'),
    create: (m, workers) => workerpool(m, workers, 'process'),
  },
  'poolifier-threads': {
    kind: 'threads',
    load: () => import('poolifier'),
    create(m, workers) {
      const pool = new m.FixedThreadPool(workers, workerPath('poolifier-thread.cjs'));
      return { run: (name, arg) => pool.execute(arg, name), close: () => pool.destroy() };
    },
  },
  'poolifier-cluster': {
    kind: 'processes',
    load: () => import('poolifier'),
    create(m, workers) {
      const pool = new m.FixedClusterPool(workers, workerPath('poolifier-cluster.cjs'));
      return { run: (name, arg) => pool.execute(arg, name), close: () => pool.destroy() };
    },
  },

  'p-queue': {
    kind: 'eventloop',
    load: () => import('p-queue'),
    create(m, concurrency) {
      const queue = new m.default({ concurrency });
      return {
        run: (name, arg) => queue.add(() => asyncTasks[name](arg)),
        close: () => queue.onIdle(),
      };
    },
  },
  'p-limit': {
    kind: 'eventloop',
    load: () => import('p-limit'),
    create(m, concurrency) {
      const limit = m.default(concurrency);
      return { run: (name, arg) => limit(asyncTasks[name], arg), close: async () => {} };
    },
  },
};

function tinypool(m, workers, runtime) {
  const pool = new m.Tinypool({
    filename: worker('tasks.mjs').href,
    runtime,
    minThreads: workers,
    maxThreads: workers,
  });
  return {
    run: (name, arg) => pool.run(arg, { name }),
    runLimited: (name, arg, ms) => pool.run(arg, { name, signal: AbortSignal.timeout(ms) }),
    close: () => pool.destroy(),
  };
}

function workerpool(m, workers, workerType) {
  const pool = (m.default ?? m).pool(workerPath('workerpool.cjs'), {
    minWorkers: workers,
    maxWorkers: workers,
    workerType,
  });
  return {
    run: (name, arg) => pool.exec(name, [arg]),
    runLimited: (name, arg, ms) => pool.exec(name, [arg]).timeout(ms),
    close: () => pool.terminate(),
  };
}

export { tasks };
