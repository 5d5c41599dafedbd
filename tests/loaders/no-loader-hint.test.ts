// A worker with no TypeScript loader (jest's own, or plain node, reaches no worker) given the
// README's form, `new URL('./tasks.js', import.meta.url)` beside a tasks.ts: the import fails with
// "Cannot find module", which said nothing about TypeScript. The error now says that a TypeScript
// module sits beside that name, and how to give the workers a loader.

import { describe, expect, test } from '@jest/globals';
import { ProcessPoolExecutor, ThreadPoolExecutor, fromModule } from 'concurrent-futures';

// fixtures/tasks.ts exists; fixtures/tasks.js does not.
const jsNameOfTs = fromModule<(n: number) => number>(
  new URL('./fixtures/tasks.js', import.meta.url),
  'double',
);
const missing = fromModule<(n: number) => number>(
  new URL('./fixtures/no-such-tasks.js', import.meta.url),
  'double',
);

describe.each([
  ['ThreadPoolExecutor', () => new ThreadPoolExecutor({ maxWorkers: 1 })],
  ['ProcessPoolExecutor', () => new ProcessPoolExecutor({ maxWorkers: 1 })],
] as const)('%s without a TypeScript loader', (_name, make) => {
  test('the .js name of a .ts module: the error says what is missing, and what to do', async () => {
    await using executor = make();
    const error = (await executor.submit(jsNameOfTs, 1).exception()) as Error;
    expect(error.message).toMatch(/A TypeScript module sits beside that \.js name/);
    expect(error.message).toMatch(/initializer: fromModule\('tsx\/esm\/api', 'register'\)/);
    // A module that is simply not there gets no such hint.
    const plain = (await executor.submit(missing, 1).exception()) as Error;
    expect(plain.message).not.toMatch(/TypeScript/);
  });
});
