// A queue name and a key prefix follow one rule on both sides: a non-empty string without ":"
// (BullMQ joins them into keys with ":"). A host once took a prefix that its producers refuse.
// Checked before anything connects: no Redis is needed.

import { QueueExecutor, startQueueWorker } from 'concurrent-futures/queue';

const BAD: Array<[string, unknown]> = [
  ['a ":"', 'a:b'],
  ['empty', ''],
  ['a number', 7],
];

describe.each(['queue', 'prefix'] as const)('%s', (option) => {
  test.each(BAD)('%s is a TypeError naming it, for a producer and a host alike', async (_, bad) => {
    const names = { queue: 'names', [option]: bad };
    expect(
      () => new QueueExecutor({ connection: 'redis://127.0.0.1:1', ...names } as never),
    ).toThrow(new RegExp(`\`${option}\` to be a non-empty string without ":"`));
    await expect(
      startQueueWorker({
        connection: 'redis://127.0.0.1:1',
        allow: ['./tests/queue/fixtures/tasks.mjs'],
        ...names,
      } as never),
    ).rejects.toThrow(new RegExp(`\`${option}\` to be a non-empty string without ":"`));
  });
});

// A project root that does not exist was accepted, and every call then failed: said at once now.
test('a projectRoot / root that is not an existing directory is a RangeError, for a producer and a host alike', async () => {
  const missing = '/nonexistent/concurrent-futures-project';
  expect(
    () =>
      new QueueExecutor({
        connection: 'redis://127.0.0.1:1',
        queue: 'names',
        projectRoot: missing,
      }),
  ).toThrow(/`projectRoot` to be a directory that exists, got "\/nonexistent/);
  await expect(
    startQueueWorker({
      connection: 'redis://127.0.0.1:1',
      queue: 'names',
      allow: ['./tests/queue/fixtures/tasks.mjs'],
      root: missing,
    }),
  ).rejects.toThrow(/`root` to be a directory that exists/);
});
