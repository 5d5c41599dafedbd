// minWorkers and idleTimeout when things go wrong, on real threads and processes: pools dropped
// with warm workers that never got ready, children that die or will not die. Each script must end
// by itself (runChild kills it after its time limit: a signal in the result means it hung).

import { DIST_URL, runChild } from '../thread/helpers.js';

const names = ['ThreadPoolExecutor', 'ProcessPoolExecutor'];

describe.each(names)('%s', (name) => {
  // A pool dropped without shutdown() is collected, and its workers are asked to stop. Nobody
  // awaits their exit: they used to be ref'd for it all the same, so a warm worker still in its
  // initializer held the process for as long, depending on when the garbage collector ran.
  test('a dropped pool whose warm workers are still in their initializer does not keep the process alive once collected', async () => {
    const run = await runChild(
      {
        'main.mjs': `
          import { ${name} } from ${JSON.stringify(DIST_URL)};
          import { setTimeout as sleep } from 'node:timers/promises';
          let collected = false;
          const registry = new FinalizationRegistry(() => (collected = true));
          (() => {
            const executor = new ${name}({
              maxWorkers: 2,
              minWorkers: 2,
              idleTimeout: 10,
              initializer: () => new Promise(() => {}),
            });
            registry.register(executor, 'pool');
          })();
          for (let i = 0; i < 50 && !collected; i++) {
            await sleep(20);
            globalThis.gc();
          }
          await sleep(20); // the pool's own finalizer has run by now
          if (!collected) console.log('not collected');
        `,
      },
      'main.mjs',
      ['--expose-gc'],
      8000,
    );
    expect(run.signal).toBeNull(); // not killed after the time limit: it exited by itself
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('');
    expect(run.code).toBe(0);
  });
});

describe('ProcessPoolExecutor', () => {
  // A child killed with SIGKILL breaks the pool, and the pool ends the others with SIGTERM. A call
  // that had set a SIGTERM handler (graceful-shutdown code often does) kept its child alive: the
  // pool waited for its exit forever, so neither shutdown() nor the process ever ended.
  test('a broken pool ends its other children even when one ignores SIGTERM', async () => {
    const run = await runChild(
      {
        'main.mjs': `
          import { ProcessPoolExecutor } from ${JSON.stringify(DIST_URL)};
          const executor = new ProcessPoolExecutor({ maxWorkers: 2, minWorkers: 2, endGraceMs: 100 });
          // Two idle workers: the two calls of one tick go one to each.
          const [deaf, victim] = await Promise.all([
            executor.submit(() => { process.on('SIGTERM', () => {}); return process.pid; }),
            executor.submit(() => process.pid),
          ]);
          console.log(deaf !== victim);
          process.kill(victim, 'SIGKILL');
          const late = executor.submit(() => new Promise((resolve) => setTimeout(resolve, 100000)));
          try { await late; } catch (error) { console.log(error.name); }
          await executor.shutdown();
          console.log(executor.workerIds.length);
        `,
      },
      'main.mjs',
      [],
      8000,
    );
    expect(run.signal).toBeNull(); // not killed after the time limit: it exited by itself
    expect(run.stderr).toBe('');
    expect(run.stdout.trim().split('\n')).toEqual(['true', 'BrokenProcessPool', '0']);
    expect(run.code).toBe(0);
  });
});

describe.each(names)('%s', (name) => {
  // A worker stopped by its idle clock exits once its event loop reads the 'stop'. One busy with
  // work a call left behind (a timer running sync code) cannot yet: it was ref'd all the same, so
  // the idle pool held the process, which it would not without idleTimeout. It stays unref'd until
  // something waits for its exit.
  test('a worker stopped by its idle clock but slow to exit does not keep the process alive', async () => {
    const run = await runChild(
      {
        'main.mjs': `
          import { ${name} } from ${JSON.stringify(DIST_URL)};
          import { setTimeout as sleep } from 'node:timers/promises';
          const executor = new ${name}({ maxWorkers: 2, idleTimeout: 50 });
          globalThis.executor = executor; // never collected: only the worker's state decides
          await executor.submit(() => {
            setTimeout(() => { for (;;); }, 1); // blocks the worker's loop once the call has returned
            return 1;
          });
          await sleep(300); // the idle clock fires meanwhile
          console.log(executor.workerIds.length);
        `,
      },
      'main.mjs',
      [],
      8000,
    );
    expect(run.signal).toBeNull(); // not killed after the time limit: it exited by itself
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('1'); // still there: it never read its 'stop'
    expect(run.code).toBe(0);
  });
});
