// A worker that cannot start must break the pool, not be replaced forever: an initializer that
// ends its thread kills every replacement the same way.

import {
  BrokenProcessPool,
  BrokenThreadPool,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
} from 'concurrent-futures';

test('a thread that exits in its initializer breaks the pool instead of being replaced forever', async () => {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1, initializer: () => process.exit(7) });
  const future = executor.submit((x: number) => x, 1);
  await expect(future).rejects.toThrow(BrokenThreadPool);
  await expect(future.exception()).resolves.toMatchObject({
    message: expect.stringMatching(/exited with code 7 before it was ready/),
  });
  expect(() => executor.submit((x: number) => x, 2)).toThrow(BrokenThreadPool);
  await executor.shutdown();
  expect(executor.workerIds).toEqual([]);
});

test('a child that exits in its initializer breaks the process pool', async () => {
  const executor = new ProcessPoolExecutor({ maxWorkers: 1, initializer: () => process.exit(9) });
  const future = executor.submit((x: number) => x, 1);
  await expect(future).rejects.toThrow(BrokenProcessPool);
  await expect(future.exception()).resolves.toMatchObject({
    message: expect.stringMatching(/exited with code 9 before it was ready/),
  });
  await executor.shutdown();
  expect(executor.workerIds).toEqual([]);
});
