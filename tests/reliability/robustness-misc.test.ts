// Robustness rows that each once misattributed, hung or leaked: a method reading `this`, options
// that cannot reach a worker, the event loop waiting for its own shutdown, pools dropped without
// shutdown(), function caches without bound, map's endings, currentSignal() outside calls on the
// event loop, and package names in fromModule(). Real threads, processes and event loop; where a
// row is about a whole process (garbage collection, memory limits, the working directory), a child
// node process runs a script and prints what it saw.

import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BrokenProcessPool,
  BrokenThreadPool,
  currentSignal,
  EventLoopExecutor,
  fromModule,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
} from 'concurrent-futures';
import {
  cleanUpAfterEach,
  KINDS,
  makePool,
  outcomeOf,
  ROOT,
  scratchDir,
  sleep,
  withTimeout,
} from './support.js';

cleanUpAfterEach();

const LIBRARY = pathToFileURL(join(ROOT, 'dist/index.js')).href;

/** Runs `node ...flags script` in `cwd` and resolves with its stdout, failing on a non-zero exit. */
function runScript(
  cwd: string,
  source: string,
  flags: string[] = [],
  ms = 90_000,
): Promise<string> {
  const file = join(cwd, `script-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, source);
  const child = spawn(process.execPath, [...flags, file], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const done = new Promise<string>((resolve, reject) => {
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`node exited with ${code ?? signal}; stdout: ${out}; stderr: ${err}`));
    });
  });
  return withTimeout(done, ms, 'the script').finally(() => child.kill('SIGKILL'));
}

/** pids of this process's children that run a pool's child entry. */
function poolChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid || fields[0] === 'Z') continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('process-entry'))
        pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('a method that reads `this` fails clearly (it does not travel)', () => {
  const calc = {
    factor: 3,
    times(x: number): number {
      return x * this.factor;
    },
  };

  test.each(KINDS)('%s pool: the future fails naming `this`, not NaN', async (kind) => {
    const pool = makePool(kind, { maxWorkers: 1 });
    const outcome = await outcomeOf(pool.submit(calc.times, 4));
    expect(outcome).toHaveProperty('error');
    const error = (outcome as { error: Error }).error;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/"times" uses `this`, which does not travel/);
    // The worker goes on, and functions that only mention the word are not touched.
    expect(await pool.submit((x: number) => `this is ${x}`, 1)).toBe('this is 1');
  });

  test('an arrow function inside a method sees the same receiver', async () => {
    const pool = makePool('thread', { maxWorkers: 1 });
    const holder = {
      base: 2,
      run(): number {
        return [1].map(() => this.base)[0]!;
      },
    };
    await expect(pool.submit(holder.run)).rejects.toThrow(/uses `this`/);
  });
});

describe('options that cannot reach a worker fail at construction, or break the pool cleanly', () => {
  test.each([
    ['thread', () => new ThreadPoolExecutor({ initargs: [() => 1] })],
    ['process', () => new ProcessPoolExecutor({ initargs: [() => 1] })],
    ['process', () => new ProcessPoolExecutor({ initargs: [new SharedArrayBuffer(8)] })],
  ])('%s pool: initargs that cannot be cloned are a TypeError naming initargs', (_kind, make) => {
    expect(make).toThrow(TypeError);
    expect(make).toThrow(/`initargs`/);
  });

  test('process pool: an env value with a NUL byte is a TypeError naming env and the variable', () => {
    const make = (): unknown => new ProcessPoolExecutor({ env: { ...process.env, BAD: 'a\0b' } });
    expect(make).toThrow(TypeError);
    expect(make).toThrow(/`env`.*"BAD"/);
  });

  test.each(KINDS)(
    '%s pool: initargs spoilt after construction break the pool with a message, no orphan',
    async (kind) => {
      const before = poolChildren();
      const initargs: unknown[] = [{}];
      const pool = makePool(kind, { maxWorkers: 1, initializer: () => undefined, initargs });
      (initargs[0] as { fn?: unknown }).fn = () => 1; // unclonable now
      const outcome = await withTimeout(outcomeOf(pool.submit(() => 1)), 20_000, 'the call');
      const error = (outcome as { error: Error }).error;
      expect(error).toBeInstanceOf(kind === 'thread' ? BrokenThreadPool : BrokenProcessPool);
      expect(error.message).toMatch(/could not be started/);
      expect(() => pool.submit(() => 2)).toThrow(/could not be started/);
      await withTimeout(pool.shutdown(), 20_000, 'shutdown()');
      // The child forked before its init could not be sent is killed, not left behind.
      for (let i = 0; i < 100 && poolChildren().some((pid) => !before.includes(pid)); i++)
        await sleep(50);
      expect(poolChildren().filter((pid) => !before.includes(pid))).toEqual([]);
    },
  );
});

test('process pool: works without the global crypto (node --no-experimental-global-webcrypto)', async () => {
  // Each child's frame key once came from globalThis.crypto: without it the pool broke, left its
  // child running and kept the script from exiting.
  const out = await runScript(
    scratchDir(),
    `import { ProcessPoolExecutor } from ${JSON.stringify(LIBRARY)};
     const executor = new ProcessPoolExecutor({ maxWorkers: 2 });
     const results = await Promise.all([1, 2, 3].map((x) => executor.submit((n) => n * 10, x)));
     await executor.shutdown();
     console.log(typeof globalThis.crypto, JSON.stringify(results));`,
    ['--no-experimental-global-webcrypto'],
    60_000,
  );
  expect(out.trim()).toBe('undefined [10,20,30]');
});

describe('EventLoopExecutor: a call that waits for its own shutdown()', () => {
  test('fails at once, the executor shuts down, and the other calls finish', async () => {
    const executor = new EventLoopExecutor();
    const other = executor.submit(() => sleep(50).then(() => 'other'));
    const selfWaiting = executor.submit(async () => {
      await executor.shutdown();
      return 'never';
    });
    const outcome = await withTimeout(outcomeOf(selfWaiting), 10_000, 'the self-waiting call');
    expect((outcome as { error: Error }).error.message).toMatch(
      /from inside a call of this same EventLoopExecutor/,
    );
    expect(await other).toBe('other');
    expect(() => executor.submit(() => 1)).toThrow(/shut down/);
    await withTimeout(executor.shutdown(), 10_000, 'shutdown() from outside');
  });

  test('shutdown({ wait: false }) from inside a call is fine', async () => {
    const executor = new EventLoopExecutor();
    const call = executor.submit(async () => {
      await executor.shutdown({ wait: false });
      return 'done';
    });
    expect(await call).toBe('done');
    await executor.shutdown();
  });
});

describe('pools dropped without shutdown() let their workers go', () => {
  test('thread and process pools used once and dropped end their workers; a busy one finishes its call', async () => {
    const out = await runScript(
      scratchDir(),
      `import { ThreadPoolExecutor, ProcessPoolExecutor } from ${JSON.stringify(LIBRARY)};
       import { readFileSync } from 'node:fs';
       const threads = () => Number(/Threads:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
       const alive = (pid) => { try { process.kill(pid, 0); return !/\\) Z/.test(readFileSync('/proc/' + pid + '/stat', 'utf8')); } catch { return false; } };
       const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
       const before = threads();
       async function useThreads(i) { const pool = new ThreadPoolExecutor({ maxWorkers: 1 }); await pool.submit((x) => x, i); }
       for (let i = 0; i < 30; i++) await useThreads(i);
       const used = threads();
       const pids = [];
       async function useProcesses(i) { const pool = new ProcessPoolExecutor({ maxWorkers: 1 }); await pool.submit((x) => x, i); pids.push(...pool.workerIds); }
       for (let i = 0; i < 3; i++) await useProcesses(i);
       function startBusy() { return new ThreadPoolExecutor({ maxWorkers: 1 }).submit(() => new Promise((r) => setTimeout(() => r('finished'), 1000))); }
       const busy = startBusy();
       for (let i = 0; i < 150 && (threads() > before + 2 || pids.some(alive)); i++) { global.gc(); await sleep(100); }
       console.log(JSON.stringify({ before, used, after: threads(), childrenAlive: pids.filter(alive).length, busy: await busy }));`,
      ['--expose-gc'],
    );
    const seen = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number | string>;
    expect(seen.used).toBeGreaterThanOrEqual((seen.before as number) + 30); // the pools did run threads
    expect(seen.after).toBeLessThanOrEqual((seen.before as number) + 2); // the busy pool's thread at most
    expect(seen.childrenAlive).toBe(0);
    expect(seen.busy).toBe('finished');
  });
});

describe('function caches are bounded', () => {
  // 4,000 distinct functions of 25 kB each: 100 MB of source text if kept.
  const submitMany = `
     const pad = 'x'.repeat(25_000);
     let ok = 0;
     for (let batch = 0; batch < 40; batch++) {
       const futures = [];
       for (let i = 0; i < 100; i++) {
         const n = batch * 100 + i;
         futures.push(pool.submit(new Function('x', '/* ' + n + ' ' + pad + ' */ return x + ' + n + ';'), 1));
       }
       for (const [i, future] of futures.entries()) if ((await future) === 1 + batch * 100 + i) ok++;
     }`;

  test('in each worker: what a worker keeps stays far below the 100 MB it was sent', async () => {
    const out = await runScript(
      scratchDir(),
      `import { ThreadPoolExecutor } from ${JSON.stringify(LIBRARY)};
       const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
       ${submitMany}
       const heap = await pool.submit(async () => {
         const { getHeapStatistics } = await import('node:v8');
         globalThis.gc();
         return getHeapStatistics().used_heap_size;
       });
       await pool.shutdown();
       console.log(JSON.stringify({ ok, heapMb: heap / 1024 / 1024 }));`,
      ['--expose-gc'],
    );
    const seen = JSON.parse(out.trim().split('\n').pop()!) as { ok: number; heapMb: number };
    expect(seen.ok).toBe(4000);
    expect(seen.heapMb).toBeLessThan(80); // about 127 MB when every function is kept
  });

  test('in the caller: a 64 MB caller submits 100 MB of distinct functions', async () => {
    const out = await runScript(
      scratchDir(),
      `import { ThreadPoolExecutor } from ${JSON.stringify(LIBRARY)};
       const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
       ${submitMany}
       await pool.shutdown();
       console.log('caller', ok);`,
      ['--max-old-space-size=64'],
    );
    expect(out).toContain('caller 4000');
  });

  test("in the caller: the pool's per-function state does not grow with a stream of generated functions", async () => {
    // The pool kept one call-time estimate per function, forever (about 110 bytes each). V8 itself
    // keeps something of every new Function, so the growth is judged against the same functions
    // made without the pool.
    const out = await runScript(
      scratchDir(),
      `import { ThreadPoolExecutor } from ${JSON.stringify(LIBRARY)};
       const pool = new ThreadPoolExecutor({ maxWorkers: 2 });
       const heap = () => { globalThis.gc(); globalThis.gc(); return process.memoryUsage().heapUsed; };
       let n = 0;
       const make = () => new Function('x', 'return x + ' + n++);
       async function submitDistinct(count) {
         for (let done = 0; done < count; done += 1000)
           await Promise.all(Array.from({ length: 1000 }, () => pool.submit(make(), 0)));
       }
       async function makeAlone(count) {
         for (let done = 0; done < count; done += 1000) {
           for (let i = 0; i < 1000; i++) Function.prototype.toString.call(make());
           await new Promise((resolve) => setImmediate(resolve));
         }
       }
       await submitDistinct(10_000); // past every bound the pool keeps
       let start = heap();
       await makeAlone(60_000);
       const alone = heap() - start;
       start = heap();
       await submitDistinct(60_000);
       const pooled = heap() - start;
       await pool.shutdown();
       console.log(JSON.stringify({ aloneMb: alone / 1e6, pooledMb: pooled / 1e6 }));`,
      ['--expose-gc'],
    );
    const seen = JSON.parse(out.trim().split('\n').pop()!) as { aloneMb: number; pooledMb: number };
    expect(seen.pooledMb - seen.aloneMb).toBeLessThan(3); // about 6.6 MB when every estimate is kept
  });

  test('a function forgotten by a worker and submitted again still runs', async () => {
    const pool = makePool('thread', { maxWorkers: 1 });
    const first = (x: number): number => x * 7;
    expect(await pool.submit(first, 1)).toBe(7);
    const many = [];
    for (let i = 0; i < 1500; i++)
      many.push(pool.submit(new Function('x', `return x + ${i};`) as (x: number) => number, 0));
    expect((await Promise.all(many)).slice(-3)).toEqual([1497, 1498, 1499]);
    expect(await pool.submit(first, 2)).toBe(14);
  });
});

describe('map: endings', () => {
  test.each(KINDS)(
    '%s pool: after return(), next() is { done: true }, not a stored chunk error',
    async (kind) => {
      const pool = makePool(kind, { maxWorkers: 1 });
      const results = pool.map(
        (x: number) => {
          if (x === 1) throw new Error('item 1 fails');
          return x;
        },
        [0, 1, 2, 3],
        { chunksize: 4 },
      );
      expect(await results.next()).toEqual({ done: false, value: 0 });
      expect(await results.return!()).toEqual({ done: true, value: undefined });
      expect(await results.next()).toEqual({ done: true, value: undefined });
    },
  );

  test.each([
    ['a sync iterator', 5],
    ['a sync iterator', null],
    ['an async iterator', 5],
    ['an async iterator', null],
  ] as const)(
    '%s whose next() gives %p, not a result object: a TypeError, after one pull, and no call',
    async (kind, step) => {
      const executor = new EventLoopExecutor();
      let pulls = 0;
      const next = (): unknown => {
        if (++pulls > 1000) throw new Error('map() pulled on past a broken step');
        return kind === 'a sync iterator' ? step : Promise.resolve(step);
      };
      const source =
        kind === 'a sync iterator'
          ? { [Symbol.iterator]: () => ({ next }) }
          : { [Symbol.asyncIterator]: () => ({ next }) };
      const failure = await (async () => {
        try {
          const results = executor.map((x: unknown) => x, source as Iterable<unknown>);
          await withTimeout(results.next(), 10_000, 'the first step');
          return undefined;
        } catch (error) {
          return error;
        }
      })();
      expect(failure).toBeInstanceOf(TypeError);
      expect((failure as Error).message).toContain('not an iterator result object');
      expect(pulls).toBe(1);
      const { calls } = executor.stats();
      expect(calls.queued + calls.running + calls.completed + calls.failed + calls.cancelled).toBe(
        0,
      );
      await executor.shutdown();
    },
  );

  test("a step waiting on an async source throws the signal's reason when it aborts", async () => {
    const executor = new EventLoopExecutor();
    const controller = new AbortController();
    async function* stalls(): AsyncGenerator<number> {
      yield 1;
      await new Promise(() => undefined); // never yields again
    }
    const results = executor.map((x: number) => x * 10, stalls(), { signal: controller.signal });
    expect(await withTimeout(results.next(), 10_000, 'the first step')).toEqual({
      done: false,
      value: 10,
    });
    const reason = new Error('stop now');
    setTimeout(() => controller.abort(reason), 20);
    await expect(withTimeout(results.next(), 10_000, 'the waiting step')).rejects.toBe(reason);
    await executor.shutdown();
  });

  test('an async source whose return() rejects after a break is no unhandled rejection', async () => {
    // In a process of its own: Node's default for an unhandled rejection is to exit with an error.
    const out = await runScript(
      scratchDir(),
      `import { EventLoopExecutor } from ${JSON.stringify(LIBRARY)};
       const executor = new EventLoopExecutor();
       let i = 0;
       const source = { [Symbol.asyncIterator]: () => ({
         next: () => Promise.resolve({ done: i > 5, value: i++ }),
         return: () => Promise.reject(new Error('cleanup failed')),
       }) };
       for await (const value of executor.map((x) => x, source)) if (value === 1) break;
       await new Promise((resolve) => setTimeout(resolve, 50));
       await executor.shutdown();
       console.log('no unhandled rejection');`,
    );
    expect(out).toContain('no unhandled rejection');
  });
});

describe('EventLoopExecutor: currentSignal() outside calls while plain calls are in flight', () => {
  function signalOrError(): string {
    try {
      currentSignal();
      return 'a signal';
    } catch (error) {
      return (error as Error).message;
    }
  }

  test('throws in a done callback and in an initializer', async () => {
    const busy = new EventLoopExecutor();
    const inFlight = busy.submit(() => sleep(300));
    await sleep(20); // a plain call is running now
    let inInitializer = '';
    const executor = new EventLoopExecutor({
      initializer: () => void (inInitializer = signalOrError()),
    });
    const future = executor.submit(() => 1);
    let inCallback = '';
    future.addDoneCallback(() => void (inCallback = signalOrError()));
    await future;
    expect(inInitializer).toMatch(/outside a running call/);
    expect(inCallback).toMatch(/outside a running call/);
    await inFlight;
    await Promise.all([busy.shutdown(), executor.shutdown()]);
  });
});

describe('fromModule(): a package name resolves from process.cwd(), with ESM conditions', () => {
  test('a package the library cannot see, dual CJS/ESM, subpath patterns: every executor', async () => {
    const app = scratchDir();
    const pkg = join(app, 'node_modules', 'dual-pkg');
    mkdirSync(join(pkg, 'features'), { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({
        name: 'dual-pkg',
        exports: {
          '.': { require: './cjs.cjs', import: './esm.mjs' },
          './feat/*': { import: './features/*.mjs' },
        },
      }),
    );
    writeFileSync(join(pkg, 'cjs.cjs'), "module.exports.which = () => 'cjs';");
    writeFileSync(join(pkg, 'esm.mjs'), "export const which = () => 'esm';");
    writeFileSync(join(pkg, 'features', 'a.mjs'), "export const hello = (n) => 'hello ' + n;");
    const out = await runScript(
      app,
      `import { ThreadPoolExecutor, ProcessPoolExecutor, EventLoopExecutor, fromModule } from ${JSON.stringify(LIBRARY)};
       const seen = [];
       for (const Executor of [ThreadPoolExecutor, ProcessPoolExecutor, EventLoopExecutor]) {
         const executor = new Executor({ maxWorkers: 1 });
         try {
           seen.push(await executor.submit(fromModule('dual-pkg', 'which')));
           seen.push(await executor.submit(fromModule('dual-pkg/feat/a', 'hello'), 1));
         } catch (error) { seen.push('error: ' + error.message); }
         await executor.shutdown();
       }
       console.log(JSON.stringify(seen));`,
    );
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual([
      'esm',
      'hello 1',
      'esm',
      'hello 1',
      'esm',
      'hello 1',
    ]);
  });

  test('as the application imports: its -C conditions, and its package.json "imports" (#name)', async () => {
    // Resolved with fixed conditions, `node -C development` loaded the production file in every
    // worker; a #name was looked up in this library's package.json, and the error named ours.
    const app = scratchDir();
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', type: 'module', imports: { '#tasks': './src/tasks.js' } }),
    );
    mkdirSync(join(app, 'src'));
    writeFileSync(join(app, 'src', 'tasks.js'), "export const hello = (n) => 'hello ' + n;");
    const pkg = join(app, 'node_modules', 'cond-pkg');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({
        name: 'cond-pkg',
        exports: { development: './dev.mjs', default: './prod.mjs' },
      }),
    );
    writeFileSync(join(pkg, 'dev.mjs'), "export const which = () => 'dev';");
    writeFileSync(join(pkg, 'prod.mjs'), "export const which = () => 'prod';");
    const out = await runScript(
      app,
      `import { ThreadPoolExecutor, ProcessPoolExecutor, EventLoopExecutor, fromModule } from ${JSON.stringify(LIBRARY)};
       const seen = [(await import('cond-pkg')).which()];
       for (const Executor of [ThreadPoolExecutor, ProcessPoolExecutor, EventLoopExecutor]) {
         const executor = new Executor({ maxWorkers: 1 });
         try {
           seen.push(await executor.submit(fromModule('cond-pkg', 'which')));
           seen.push(await executor.submit(fromModule('#tasks', 'hello'), 1));
         } catch (error) { seen.push('error: ' + error.message); }
         await executor.shutdown();
       }
       console.log(JSON.stringify(seen));`,
      ['-C', 'development'],
    );
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual([
      'dev',
      'dev',
      'hello 1',
      'dev',
      'hello 1',
      'dev',
      'hello 1',
    ]);
  });

  test('a package that cannot be found still fails the future naming it', async () => {
    const pool = makePool('thread', { maxWorkers: 1 });
    await expect(pool.submit(fromModule('no-such-package-anywhere', 'fn'))).rejects.toThrow(
      /no-such-package-anywhere/,
    );
  });
});
