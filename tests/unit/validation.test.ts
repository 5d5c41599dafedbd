// Bad input everywhere in the core: each error is the right class and its message names the
// argument, the value it got and what is allowed. Also fromModule()'s checks.

import { pathToFileURL } from 'node:url';
import {
  asCompleted,
  fromModule,
  Future,
  ThreadPoolExecutor,
  wait,
  type ReturnWhen,
} from '../../src/index.js';
import { describe as describeValue } from '../../src/validate.js';
import { finished, running } from './support/futures.js';
import { InlineExecutor } from './support/inline-executor.js';

/** The error a call throws or its promise rejects with. */
async function errorOf(call: () => unknown): Promise<Error> {
  try {
    await call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('messages name the argument, the value and what is allowed', () => {
  test.each([
    [
      'result(timeout) with a string',
      () => running().result('5' as unknown as number),
      TypeError,
      ['`timeout`', '"5"', 'number'],
    ],
    [
      'exception(timeout) negative',
      () => running().exception(-3),
      RangeError,
      ['`timeout`', '-3', '>= 0'],
    ],
    ['result(timeout) NaN', () => running().result(NaN), RangeError, ['`timeout`', 'NaN', '>= 0']],
    [
      'wait() timeout negative',
      () => wait([running()], { timeout: -1 }),
      RangeError,
      ['`timeout`', '-1', '>= 0'],
    ],
    [
      'wait() timeout an object',
      () => wait([running()], { timeout: {} as number }),
      TypeError,
      ['`timeout`', 'an object'],
    ],
    [
      'wait() returnWhen',
      () => wait([running()], { returnWhen: 'SOMETIMES' as ReturnWhen }),
      RangeError,
      ['`returnWhen`', '"SOMETIMES"', 'FIRST_COMPLETED', 'FIRST_EXCEPTION', 'ALL_COMPLETED'],
    ],
    [
      'wait() fs a number',
      () => wait(5 as unknown as Future[]),
      TypeError,
      ['`fs`', '5', 'iterable'],
    ],
    [
      'wait() element',
      () => wait([running(), 'x' as unknown as Future]),
      TypeError,
      ['`fs`', '"x"', 'Future'],
    ],
    [
      'asCompleted() fs null',
      () => asCompleted(null as unknown as Future[]),
      TypeError,
      ['`fs`', 'null'],
    ],
    [
      'asCompleted() element',
      () => asCompleted([{} as Future]),
      TypeError,
      ['`fs`', 'an object', 'Future'],
    ],
    [
      'asCompleted() timeout',
      () => asCompleted([], { timeout: -2 }),
      RangeError,
      ['`timeout`', '-2'],
    ],
    [
      'addDoneCallback()',
      () => running().addDoneCallback(7 as unknown as () => void),
      TypeError,
      ['function', 'number'],
    ],
  ] as const)('%s', async (_label, call, kind, fragments) => {
    const error = await errorOf(call);
    expect(error).toBeInstanceOf(kind);
    for (const fragment of fragments) expect(error.message).toContain(fragment);
  });

  test.each([
    ['chunksize', 1.5, RangeError, ['`chunksize`', '1.5', 'integer >= 1']],
    ['chunksize', '2', TypeError, ['`chunksize`', '"2"', 'integer >= 1']],
    ['buffersize', 0, RangeError, ['`buffersize`', '0', 'integer >= 1']],
    ['timeout', true, TypeError, ['`timeout`', 'true']],
    ['callTimeout', -1, RangeError, ['`callTimeout`', '-1']],
    ['signal', 'stop', TypeError, ['`signal`', '"stop"', 'AbortSignal']],
  ] as const)('map() %s = %p', async (option, value, kind, fragments) => {
    const executor = new InlineExecutor();
    const error = await errorOf(() => executor.map((x: number) => x, [1], { [option]: value }));
    expect(error).toBeInstanceOf(kind);
    for (const fragment of fragments) expect(error.message).toContain(fragment);
  });

  test('map() with an argument that is not iterable names its position and the value', async () => {
    const executor = new InlineExecutor();
    const error = await errorOf(() =>
      executor.map((a: number, b: number) => a + b, [1], 7 as unknown as number[]),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('argument 3');
    expect(error.message).toContain('7');
  });

  test('map() refuses a trailing undefined (a missing iterable); options of a class are told to be plain', async () => {
    const executor = new InlineExecutor();
    const add = (a: number, b: number): number => a + b;
    // Taken as no options, it would run add(x) with b missing: NaN without a word.
    const missingSecond = await errorOf(() =>
      executor.map(add, [1, 2], undefined as unknown as number[]),
    );
    expect(missingSecond.message).toContain('argument 3');
    // So is undefined where the only iterable goes.
    const missing = await errorOf(() =>
      executor.map((x: number) => x, undefined as unknown as number[]),
    );
    expect(missing.message).toContain('argument 2');
    class MapSettings {
      timeout = 1000;
    }
    const classy = await errorOf(() => executor.map(add, [1], [2], new MapSettings() as never));
    expect(classy.message).toContain("If it is map()'s options, pass them as a plain object");
  });

  test('submit() with something not callable names the value', async () => {
    const executor = new InlineExecutor();
    const error = await errorOf(() => executor.submit(Symbol('task') as unknown as () => void));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('Symbol(task)');
    expect(error.message).toContain('fromModule()');
  });

  test('shutdown() options name the option and the value', async () => {
    const executor = new InlineExecutor();
    const error = await errorOf(() => executor.shutdown({ wait: 'yes' as unknown as boolean }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('`wait`');
    expect(error.message).toContain('"yes"');
    await executor.shutdown();
  });
});

describe('how values are described', () => {
  class Task {}
  test.each([
    ['a string', 'x', '"x"'],
    ['a number', 1.5, '1.5'],
    ['a bigint', 3n, '3n'],
    ['a named function', function work() {}, 'function work'],
    [
      'an anonymous function',
      (
        () => () =>
          1
      )(),
      'function (anonymous)',
    ],
    ['a symbol', Symbol('s'), 'Symbol(s)'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['an array', [1], 'an array'],
    ['a plain object', { a: 1 }, 'an object'],
    ['an object without prototype', Object.create(null) as object, 'an object'],
    ['a class instance', new Task(), 'a Task'],
    ['a Future', finished(1), 'a Future'],
  ])('%s', (_label, value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });
});

describe('fromModule()', () => {
  test('a relative path throws a TypeError that shows the fix', () => {
    for (const relative of ['./tasks.js', '../lib/tasks.js']) {
      let thrown: unknown;
      try {
        fromModule(relative);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as Error).message).toContain(
        `new URL(${JSON.stringify(relative)}, import.meta.url)`,
      );
    }
  });

  test.each([
    ['an empty string', ''],
    ['a number', 5],
    ['null', null],
    ['an https URL', new URL('https://example.com/tasks.js')],
  ])('a module that is %s throws TypeError', (_label, module) => {
    expect(() => fromModule(module as string)).toThrow(TypeError);
  });

  test.each([
    ['an empty string', ''],
    ['a number', 1],
  ])('an exportName that is %s throws TypeError', (_label, exportName) => {
    expect(() => fromModule('node:path', exportName as string)).toThrow(TypeError);
    expect(() => fromModule('node:path', exportName as string)).toThrow(/`exportName`/);
  });

  test('an absolute path, a file: URL string and a URL all become the same file: URL', () => {
    const path = '/srv/app/tasks.js';
    const href = pathToFileURL(path).href;
    expect(fromModule(path, 'run').module).toBe(href);
    expect(fromModule(href, 'run').module).toBe(href);
    expect(fromModule(new URL(href), 'run').module).toBe(href);
  });

  test('a package name stays as it is; exportName defaults to "default"', () => {
    const reference = fromModule('some-package');
    expect(reference).toEqual({ module: 'some-package', exportName: 'default' });
    expect(Object.isFrozen(reference)).toBe(true);
  });

  test('a look-alike plain object is not a reference: submit refuses it', () => {
    const executor = new InlineExecutor();
    const lookAlike = { module: 'node:path', exportName: 'basename' };
    expect(() => executor.submit(lookAlike as unknown as () => void)).toThrow(TypeError);
    expect(() => executor.submit(fromModule('node:path', 'basename'), '/a/b')).not.toThrow();
    return executor.shutdown();
  });
});

describe("Python's positional arguments where an options object goes: the message names the option", () => {
  test.each([
    [
      'wait(fs, 5)',
      () => wait([finished(1)], 5 as never),
      "wait(fs, { timeout: 5000 }). A timeout is in milliseconds here: Python's 5 s is 5000.",
    ],
    [
      "wait(fs, 'FIRST_COMPLETED')",
      () => wait([finished(1)], 'FIRST_COMPLETED' as never),
      "wait(fs, { returnWhen: 'FIRST_COMPLETED' })",
    ],
    [
      'asCompleted(fs, 5)',
      () => asCompleted([finished(1)], 0.5 as never).next(),
      'asCompleted(fs, { timeout: 500 })',
    ],
    [
      'new ThreadPoolExecutor(4)',
      () => new ThreadPoolExecutor(4 as never),
      'new ThreadPoolExecutor({ maxWorkers: 4 })',
    ],
    [
      'shutdown(false)',
      () => new InlineExecutor().shutdown(false as never),
      'shutdown({ wait: false })',
    ],
  ])('%s', async (_label, call, example) => {
    const error = await errorOf(call);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('options object');
    expect(error.message).toContain(`as Python's keyword arguments: ${example}`);
  });

  test('schedule(fn, 5): the value is most likely an argument', async () => {
    const error = await errorOf(() => new InlineExecutor().schedule((x: number) => x, 5 as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('schedule(fn, { args: [5] }) passes it to fn');
    // An array is most likely the argument list (the hint read "{ args: [an array] }").
    const list = await errorOf(() =>
      new InlineExecutor().schedule((a: number, b: number) => a + b, [1, 2] as never),
    );
    expect(list.message).toContain('schedule(fn, { args: list })');
    expect(list.message).not.toContain('[an array]');
  });

  test('an options object of the wrong kind gets no hint', async () => {
    const error = await errorOf(() => wait([finished(1)], [] as never));
    expect(error.message).not.toContain("Python's keyword arguments");
  });
});
