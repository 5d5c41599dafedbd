// Every options object the API names refuses a key it does not know, with a TypeError that names the
// key and, where there is one, the option meant: a misspelled option must never run with the default
// (a typo'd `timeOut` would never end a runaway call). Nested third-party objects (resourceLimits,
// env) are Node's, not ours, and are passed on as they are.

import {
  asCompleted,
  EventLoopExecutor,
  Future,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  wait,
} from 'concurrent-futures';

function typeErrorOf(call: () => unknown): TypeError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return error as TypeError;
  }
  throw new Error('expected a TypeError');
}

describe('constructors', () => {
  test.each([
    ['ThreadPoolExecutor', { maxThreads: 2 }, 'maxThreads', 'maxWorkers'],
    ['ThreadPoolExecutor', { max_workers: 2 }, 'max_workers', 'maxWorkers'],
    ['ThreadPoolExecutor', { concurrency: 2 }, 'concurrency', 'maxWorkers'],
    ['ThreadPoolExecutor', { initArgs: [] }, 'initArgs', 'initargs'],
    ['ProcessPoolExecutor', { max_tasks_per_child: 3 }, 'max_tasks_per_child', 'maxTasksPerChild'],
    ['ProcessPoolExecutor', { maxWorker: 1 }, 'maxWorker', 'maxWorkers'],
    ['EventLoopExecutor', { concurrency: 4 }, 'concurrency', 'maxWorkers'],
    ['EventLoopExecutor', { endGrace: 5 }, 'endGrace', 'endGraceMs'],
  ] as const)('new %s(%j) names the key and the option meant', (name, options, key, meant) => {
    const Executor = { ThreadPoolExecutor, ProcessPoolExecutor, EventLoopExecutor }[name];
    const error = typeErrorOf(() => new Executor(options as never));
    expect(error.message).toContain(`\`${key}\``);
    expect(error.message).toContain(`did you mean \`${meant}\``);
    expect(error.message).toContain(`new ${name}()`);
  });

  test('a key with no likely meaning is still refused, with the options that exist', () => {
    const error = typeErrorOf(() => new ThreadPoolExecutor({ colour: 'red' } as never));
    expect(error.message).toContain('`colour`');
    expect(error.message).not.toContain('did you mean');
    expect(error.message).toContain('`maxWorkers`');
  });

  test('an option of the other pool is refused by this one', () => {
    const error = typeErrorOf(() => new ThreadPoolExecutor({ maxTasksPerChild: 2 } as never));
    expect(error.message).toContain('`maxTasksPerChild`');
  });

  test('nested third-party objects are passed on as they are', async () => {
    const executor = new ThreadPoolExecutor({
      maxWorkers: 1,
      resourceLimits: { maxOldGenerationSizeMb: 256, someFutureNodeLimit: 1 } as never,
    });
    expect(await executor.submit((x: number) => x + 1, 1)).toBe(2);
    await executor.shutdown();
    expect(
      () =>
        new ProcessPoolExecutor({ env: { ...process.env, ANY_NAME_AT_ALL: '1' }, maxWorkers: 1 }),
    ).not.toThrow();
  });
});

describe('calls', () => {
  const executor = new EventLoopExecutor({ maxWorkers: 2 });
  afterAll(() => executor.shutdown());

  test('schedule() refuses timeOut, naming timeout', () => {
    const error = typeErrorOf(() => executor.schedule(() => 1, { timeOut: 10 } as never));
    expect(error.message).toContain('`timeOut`');
    expect(error.message).toContain('did you mean `timeout`');
    expect(error.message).toContain('schedule()');
  });

  test('map() refuses chunkSize, naming chunksize, and submits nothing', () => {
    let calls = 0;
    const error = typeErrorOf(() =>
      executor.map((x: number) => calls++ + x, [1, 2, 3], { chunkSize: 2 } as unknown as {
        chunksize: number;
      }),
    );
    expect(error.message).toContain('did you mean `chunksize`');
    expect(calls).toBe(0);
  });

  test('shutdown() rejects cancel_futures, naming cancelFutures, and does not shut down', async () => {
    const local = new EventLoopExecutor();
    await expect(local.shutdown({ cancel_futures: true } as never)).rejects.toThrow(
      /`cancel_futures`.*did you mean `cancelFutures`/,
    );
    expect(await local.submit(() => 'still open')).toBe('still open');
    await local.shutdown();
  });

  test('wait() and asCompleted() refuse unknown keys', async () => {
    const done = new Future<number>();
    done.setResult(1);
    await expect(wait([done], { return_when: 'FIRST_COMPLETED' } as never)).rejects.toThrow(
      /`return_when`.*did you mean `returnWhen`/,
    );
    expect(() => asCompleted([done], { timeOut: 5 } as never)).toThrow(
      /`timeOut`.*did you mean `timeout`/,
    );
  });

  test('a key with no near match still ends its sentence before listing the known ones', () => {
    expect(() => new EventLoopExecutor({ colour: 'blue' } as never)).toThrow(
      /^Unknown option `colour` in the options of new EventLoopExecutor\(\)\. The options/,
    );
  });

  test('known keys with null or undefined values are still fine', async () => {
    expect(await executor.schedule((x: number) => x * 2, { args: [2], timeout: null })).toBe(4);
    const results: number[] = [];
    for await (const value of executor.map((x: number) => x, [1, 2], { chunksize: undefined }))
      results.push(value);
    expect(results).toEqual([1, 2]);
  });
});
