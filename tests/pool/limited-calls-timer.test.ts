// Issue 16: the pools' limited calls share the one deadline timer of src/limits/ (a setTimeout per
// call before). That timer must not keep a process alive once no limited call runs, nor let a
// call whose deadline passes live on; and a map whose signal aborts ends its running calls through
// the LimitedCall each submit gave back (no lookup from futures any more).

import { ProcessPoolExecutor, ThreadPoolExecutor, TimeoutError } from 'concurrent-futures';
import { DIST_URL, runChild } from '../thread/helpers.js';

const kinds = [
  ['ThreadPoolExecutor', (maxWorkers: number) => new ThreadPoolExecutor({ maxWorkers })],
  ['ProcessPoolExecutor', (maxWorkers: number) => new ProcessPoolExecutor({ maxWorkers })],
] as const;

describe.each(kinds)('%s', (name, make) => {
  test('limited calls whose 60 s timeouts never fire do not keep the process alive', async () => {
    // A timer that kept it alive would hold it for 60 s, past runChild's 20 s bound (SIGKILL).
    const run = await runChild(
      {
        'main.mjs': `
          import { ${name} } from ${JSON.stringify(DIST_URL)};
          const executor = new ${name}({ maxWorkers: 2 });
          let sum = 0;
          for (let i = 0; i < 5; i++)
            sum += await executor.schedule((x) => x, { args: [i], timeout: 60000 });
          const burst = await Promise.all(
            Array.from({ length: 200 }, (_, i) =>
              executor.schedule((x) => x, { args: [i], timeout: 60000 })),
          );
          console.log(sum, burst.length);
        `,
      },
      'main.mjs',
    );
    expect(run.stderr).toBe('');
    expect(run.signal).toBeNull(); // not killed after the time limit: it exited by itself
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('10 200');
  });

  test('calls with different timeouts on the one timer each end at their own, in order', async () => {
    const executor = make(4);
    try {
      const sleepy = (): Promise<never> => new Promise<never>(() => undefined);
      // Warm every worker, so each call below starts on arrival.
      await Promise.all([1, 2, 3, 4].map((i) => executor.submit((x: number) => x, i)));
      const order: number[] = [];
      const timeouts = [900, 150, 600, 300];
      const futures = timeouts.map((timeout) => {
        const future = executor.schedule(sleepy, { timeout });
        future.addDoneCallback(() => order.push(timeout));
        return future;
      });
      for (const future of futures) await expect(future).rejects.toBeInstanceOf(TimeoutError);
      expect(order).toEqual([150, 300, 600, 900]);
    } finally {
      await executor.shutdown({ cancelFutures: true });
    }
  });

  test("a map's signal ends its running calls and cancels the rest", async () => {
    const executor = make(2);
    try {
      const controller = new AbortController();
      const reason = new Error('stop the map');
      const results = executor.map(
        async (x: number) => {
          await new Promise((resolve) => setTimeout(resolve, x === 0 ? 0 : 60_000));
          return x;
        },
        [0, 1, 2, 3, 4, 5],
        { signal: controller.signal },
      );
      expect(await results.next()).toEqual({ done: false, value: 0 });
      controller.abort(reason);
      await expect(results.next()).rejects.toBe(reason);
      // The pool is free again at once: the calls ended were its running ones.
      expect(await executor.submit((x: number) => x * 2, 21)).toBe(42);
    } finally {
      await executor.shutdown({ cancelFutures: true });
    }
  });
});
