// The "Ending a running call" scenarios against the process row of executors.ts (one file per
// executor, so that jest runs the executors in parallel).

import { executors } from './executors.js';
import { describeEnding } from './scenarios.js';

describeEnding(executors.process);

describe('a call ended before a child still in its initializer started it', () => {
  test('the child skips it and is kept: its initializer does not run again', async () => {
    // The child was ended after endGraceMs, and a new one ran the (costly) initializer again.
    const { ProcessPoolExecutor } = await import('concurrent-futures');
    const pool = new ProcessPoolExecutor({
      maxWorkers: 1,
      minWorkers: 1,
      endGraceMs: 100,
      initializer: (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
      initargs: [800],
    });
    try {
      const [child] = pool.workerIds;
      const controller = new AbortController();
      const call = pool.schedule((x: number) => x, { args: [1], signal: controller.signal });
      setTimeout(() => controller.abort(new Error('not needed')), 100);
      expect(((await call.exception()) as Error).message).toBe('not needed');
      await new Promise((resolve) => setTimeout(resolve, 300)); // past endGraceMs
      expect(pool.workerIds).toEqual([child]);
      expect(await pool.submit(() => process.pid)).toBe(child);
      expect(pool.stats().calls).toMatchObject({ failed: 1, completed: 1, running: 0 });
    } finally {
      await pool.shutdown();
    }
  });
});
