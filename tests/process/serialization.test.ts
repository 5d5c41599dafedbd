// What travels between the pool and its children (fork() with serialization 'advanced'): rich
// values both ways, errors thrown by calls with everything the contract promises, and values that
// cannot travel, which fail only their own future while the pool goes on.

import { types } from 'node:util';
import { BrokenExecutor, ProcessPoolExecutor, fromModule } from 'concurrent-futures';
import { cleanUpAfterEach, pool } from './support.js';

cleanUpAfterEach();

let executor: ProcessPoolExecutor;
beforeAll(() => {
  executor = new ProcessPoolExecutor({ maxWorkers: 1 });
});
afterAll(async () => {
  await executor.killWorkers();
});

function richValue() {
  return {
    big: 2n ** 70n + 1n,
    map: new Map<unknown, unknown>([
      ['a', 1],
      [2n, new Set([1, 'x'])],
    ]),
    set: new Set([1, 2, 3]),
    date: new Date(Date.UTC(2020, 1, 29, 12, 0, 0, 123)),
    regexp: /ab+c/giu,
    bytes: new Uint8Array([1, 2, 255]),
    floats: new Float64Array([0.5, -1, Infinity]),
    buffer: new Uint16Array([7, 8]).buffer,
    nested: { list: [1, 'two', null, undefined, -0, NaN], deep: { ok: true } },
    error: new TypeError('an error as a value', { cause: new RangeError('its cause') }),
  };
}

describe('values travel both ways', () => {
  test('BigInt, Map, Set, Date, RegExp, typed arrays, ArrayBuffer and Error arrive in the child as themselves', async () => {
    const report = await executor.submit((v: ReturnType<typeof richValue>) => {
      const mapInner = v.map.get(2n);
      return {
        big: typeof v.big === 'bigint' && v.big === 2n ** 70n + 1n,
        map:
          v.map instanceof Map &&
          v.map.get('a') === 1 &&
          mapInner instanceof Set &&
          [...mapInner].join() === '1,x',
        set: v.set instanceof Set && [...v.set].join() === '1,2,3',
        date: v.date instanceof Date && v.date.toISOString() === '2020-02-29T12:00:00.123Z',
        regexp:
          v.regexp instanceof RegExp && v.regexp.source === 'ab+c' && v.regexp.flags === 'giu',
        bytes: v.bytes instanceof Uint8Array && [...v.bytes].join() === '1,2,255',
        floats: v.floats instanceof Float64Array && [...v.floats].join() === '0.5,-1,Infinity',
        buffer: v.buffer instanceof ArrayBuffer && [...new Uint16Array(v.buffer)].join() === '7,8',
        nested:
          Object.is(v.nested.list[4], -0) &&
          Number.isNaN(v.nested.list[5]) &&
          v.nested.list.length === 6 &&
          v.nested.deep.ok,
        error:
          v.error instanceof TypeError &&
          v.error.message === 'an error as a value' &&
          (v.error.cause as Error)?.message === 'its cause',
      };
    }, richValue());
    expect(report).toEqual({
      big: true,
      map: true,
      set: true,
      date: true,
      regexp: true,
      bytes: true,
      floats: true,
      buffer: true,
      nested: true,
      error: true,
    });
  });

  test('the same kinds of values made in the child arrive in the parent as themselves', async () => {
    const value = await executor.submit(() => ({
      big: 2n ** 70n + 1n,
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2n, new Set([1, 'x'])],
      ]),
      set: new Set([1, 2, 3]),
      date: new Date(Date.UTC(2020, 1, 29, 12, 0, 0, 123)),
      regexp: /ab+c/giu,
      bytes: new Uint8Array([1, 2, 255]),
      floats: new Float64Array([0.5, -1, Infinity]),
      buffer: new Uint16Array([7, 8]).buffer,
      nested: { list: [1, 'two', null, undefined, -0, NaN], deep: { ok: true } },
      error: new RangeError('made in the child'),
    }));
    // Values deserialized by child_process come from Node's own realm, not from the vm context
    // Jest runs tests in, so `instanceof` would compare with the wrong Map: check the kind with
    // util.types instead (in a plain Node program, where there is one realm, instanceof holds).
    expect(value.big).toBe(2n ** 70n + 1n);
    expect(types.isMap(value.map)).toBe(true);
    expect(value.map).toEqual(
      new Map<unknown, unknown>([
        ['a', 1],
        [2n, new Set([1, 'x'])],
      ]),
    );
    expect(types.isSet(value.map.get(2n))).toBe(true);
    expect(types.isSet(value.set)).toBe(true);
    expect([...value.set]).toEqual([1, 2, 3]);
    expect(types.isDate(value.date)).toBe(true);
    expect(value.date.toISOString()).toBe('2020-02-29T12:00:00.123Z');
    expect(types.isRegExp(value.regexp)).toBe(true);
    expect([value.regexp.source, value.regexp.flags]).toEqual(['ab+c', 'giu']);
    expect(types.isUint8Array(value.bytes)).toBe(true);
    expect([...value.bytes]).toEqual([1, 2, 255]);
    expect(types.isFloat64Array(value.floats)).toBe(true);
    expect([...value.floats]).toEqual([0.5, -1, Infinity]);
    expect(types.isArrayBuffer(value.buffer)).toBe(true);
    expect([...new Uint16Array(value.buffer)]).toEqual([7, 8]);
    expect(Object.is(value.nested.list[4], -0)).toBe(true);
    expect(value.nested.list[5]).toBeNaN();
    expect(value.nested.list).toHaveLength(6);
    expect(types.isNativeError(value.error)).toBe(true);
    expect([value.error.name, value.error.message]).toEqual(['RangeError', 'made in the child']);
  });

  test('each typed array, Buffer and DataView arrives with an ArrayBuffer of its own, both ways', async () => {
    const make = (n: number): unknown[] => [
      new Uint8Array(8000).fill(n),
      Buffer.alloc(3000, n),
      new Float64Array([n, n / 2]),
      new DataView(new ArrayBuffer(16)),
      new BigInt64Array([BigInt(n)]),
    ];
    // Several results in one frame (a fast function's calls travel in batches).
    await Promise.all(Array.from({ length: 50 }, (_, i) => executor.submit(make, i)));
    const results = (await Promise.all(
      [1, 2, 3].map((n) => executor.submit(make, n)),
    )) as ArrayBufferView[][];
    const views = results.flat();
    for (const view of views) {
      expect(view.byteOffset).toBe(0);
      expect(view.buffer.byteLength).toBe(view.byteLength);
    }
    expect(new Set(views.map((view) => view.buffer)).size).toBe(views.length);
    expect(results.map((list) => list.map((view) => view.constructor.name))).toEqual(
      Array(3).fill(['Uint8Array', 'Buffer', 'Float64Array', 'DataView', 'BigInt64Array']),
    );
    expect(Buffer.isBuffer(results[0]![1])).toBe(true);
    expect(
      results.map((list) => [(list[0] as Uint8Array)[7999], (list[1] as Buffer)[2999]]),
    ).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    // Moving one result's memory leaves the others whole.
    structuredClone(views[0], { transfer: [views[0]!.buffer as ArrayBuffer] });
    expect(views[1]!.byteLength).toBe(3000);
    // And in the child, arguments the same.
    const seen = await executor.submit(
      (list: ArrayBufferView[]) => list.map((view) => [view.byteOffset, view.buffer.byteLength]),
      [new Uint8Array(100), Buffer.alloc(10), new Uint16Array(4)],
    );
    expect(seen).toEqual([
      [0, 100],
      [0, 10],
      [0, 8],
    ]);
  });

  test('an async call’s result is awaited in the child', async () => {
    const value = await executor.submit(async (n: bigint) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return new Map([[n, n * 2n]]);
    }, 21n);
    expect(value).toEqual(new Map([[21n, 42n]]));
  });
});

describe('errors thrown by a call', () => {
  test('a custom error keeps name, message, the child’s stack, cause and own properties', async () => {
    const error = await executor
      .submit(function throwsCustom() {
        class ParseFailure extends Error {
          constructor(message: string, options?: ErrorOptions) {
            super(message, options);
            this.name = 'ParseFailure';
          }
        }
        const failure = new ParseFailure('line 3 is bad', {
          cause: new RangeError('column 7'),
        }) as ParseFailure & Record<string, unknown>;
        failure.code = 'E_PARSE';
        failure.details = { line: 3, at: new Date(0), ids: new Set([1]) };
        failure.pid = process.pid;
        throw failure;
      })
      .exception();
    expect(error).toBeInstanceOf(Error);
    const e = error as Error & Record<string, unknown>;
    expect(e.name).toBe('ParseFailure');
    expect(e.message).toBe('line 3 is bad');
    expect(e.stack).toMatch(/^ParseFailure: line 3 is bad\n/);
    expect(e.stack).toContain('throwsCustom'); // the child's frames, not the parent's
    expect(e.pid).not.toBe(process.pid);
    expect(executor.workerIds).toContain(e.pid);
    expect(e.cause).toBeInstanceOf(RangeError);
    expect((e.cause as Error).message).toBe('column 7');
    expect(e.code).toBe('E_PARSE');
    expect(e.details).toEqual({ line: 3, at: new Date(0), ids: new Set([1]) });
  });

  test.each([
    ['Error', Error],
    ['TypeError', TypeError],
    ['RangeError', RangeError],
    ['SyntaxError', SyntaxError],
    ['ReferenceError', ReferenceError],
    ['EvalError', EvalError],
    ['URIError', URIError],
  ] as const)('a thrown %s keeps instanceof, name and message', async (name, Ctor) => {
    const error = await executor
      .submit((ctorName: string) => {
        const Ctor = (globalThis as unknown as Record<string, new (message: string) => Error>)[
          ctorName
        ]!;
        throw new Ctor(`a ${ctorName} from the child`);
      }, name)
      .exception();
    expect(error).toBeInstanceOf(Ctor);
    expect((error as Error).name).toBe(name);
    expect((error as Error).message).toBe(`a ${name} from the child`);
  });

  test('`throw 42` (and other non-Error values) arrive as that value', async () => {
    await expect(
      executor.submit(() => {
        throw 42;
      }),
    ).rejects.toBe(42);
    await expect(
      executor.submit(() => {
        throw 'a string';
      }),
    ).rejects.toBe('a string');
    await expect(
      executor.submit(async () => {
        throw { plain: new Map([[1, 2]]) };
      }),
    ).rejects.toEqual({ plain: new Map([[1, 2]]) });
  });

  test('an AggregateError keeps its errors, each rebuilt in turn', async () => {
    const error = await executor
      .submit(() => {
        throw new AggregateError(
          [new TypeError('first'), new Error('second', { cause: 7 }), 'third'],
          'several',
        );
      })
      .exception();
    expect(error).toBeInstanceOf(AggregateError);
    const aggregate = error as AggregateError;
    expect(aggregate.message).toBe('several');
    expect(aggregate.errors).toHaveLength(3);
    expect(aggregate.errors[0]).toBeInstanceOf(TypeError);
    expect(aggregate.errors[0].message).toBe('first');
    expect(aggregate.errors[1].message).toBe('second');
    expect(aggregate.errors[1].cause).toBe(7);
    expect(aggregate.errors[2]).toBe('third');
  });

  test('a DOMException keeps its name and message', async () => {
    const error = await executor
      .submit(() => {
        throw new DOMException('stopped on purpose', 'AbortError');
      })
      .exception();
    expect((error as Error).name).toBe('AbortError');
    expect((error as Error).message).toBe('stopped on purpose');
  });

  test('an async call that rejects fails its future the same way', async () => {
    const error = await executor
      .submit(async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        throw new TypeError('later', { cause: new Error('root') });
      })
      .exception();
    expect(error).toBeInstanceOf(TypeError);
    expect(((error as Error).cause as Error).message).toBe('root');
  });
});

describe('values that cannot travel', () => {
  test('an unclonable argument fails only its own future, with a clear error; the calls around it run', async () => {
    const ex = pool({ maxWorkers: 1 });
    // Same tick: the three calls would travel in one message.
    const before = ex.submit((n: number) => n + 1, 1);
    const bad = ex.submit(
      (f: unknown) => typeof f,
      () => 'a function cannot be cloned',
    );
    const after = ex.submit((n: number) => n * 10, 5);
    expect(await before).toBe(2);
    const error = await bad.exception();
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/could not be sent to a worker/);
    expect((error as Error).message).toMatch(/structured clone/);
    expect(await after).toBe(50);
    // And the pool goes on, on the same child.
    const pids = ex.workerIds;
    expect(await ex.submit(() => process.pid)).toBe(pids[0]);
    await ex.shutdown();
  });

  test('an unclonable result fails only its own future; results sent with it arrive; the pool goes on', async () => {
    const ex = pool({ maxWorkers: 1 });
    const before = ex.submit(() => new Set(['fine']));
    const bad = ex.submit(() => ({ callback: () => 1 }));
    const symbol = ex.submit(() => Symbol('nope'));
    const after = ex.submit(() => 'still fine');
    expect(await before).toEqual(new Set(['fine']));
    for (const failed of [bad, symbol]) {
      const error = await failed.exception();
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/result could not be sent back/);
    }
    expect(await after).toBe('still fine');
    expect(await ex.submit((a: number, b: number) => a + b, 2, 3)).toBe(5);
    await ex.shutdown();
  });

  test('a SharedArrayBuffer, as an argument or a result, is told to be copied or sent to threads', async () => {
    const ex = pool({ maxWorkers: 1 });
    const asArgument = await ex.submit((_s: unknown) => 1, new SharedArrayBuffer(4)).exception();
    const asResult = await ex.submit(() => new SharedArrayBuffer(4)).exception();
    for (const error of [asArgument, asResult]) {
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(
        /SharedArrayBuffer shares memory between threads of one process.*a copy.*ThreadPoolExecutor/,
      );
      expect((error as Error).message).not.toMatch(/structured clone algorithm supports/);
    }
    expect(await ex.submit(() => 'the pool goes on')).toBe('the pool goes on');
    await ex.shutdown();
  });

  test('an error whose properties cannot travel still arrives, those properties as text', async () => {
    const error = (await executor
      .submit(() => {
        const e = new Error('has a function') as Error & Record<string, unknown>;
        e.callback = function namedCallback() {};
        e.kept = [1, 2];
        throw e;
      })
      .exception()) as Error & Record<string, unknown>;
    expect(error.message).toBe('has a function');
    expect(error.kept).toEqual([1, 2]);
    expect(typeof error.callback).toBe('string');
    expect(error.callback).toContain('namedCallback');
  });

  test('no such failure breaks the pool', async () => {
    expect(() => executor.submit(() => 1)).not.toThrow(BrokenExecutor);
    expect(await executor.submit(() => 'alive')).toBe('alive');
  });
});

describe('what can be submitted to a child', () => {
  test('function declarations, arrows, async functions and method shorthand travel by source', async () => {
    const methods = {
      double(x: number) {
        return x * 2;
      },
      async triple(x: number) {
        return x * 3;
      },
    };
    const results = await Promise.all([
      executor.submit(
        function add(a: number, b: number) {
          return a + b;
        },
        1,
        2,
      ),
      executor.submit((x: number) => x - 1, 1),
      executor.submit(methods.double, 4),
      executor.submit(methods.triple, 4),
    ]);
    expect(results).toEqual([3, 0, 8, 12]);
  });

  test('native and bound functions: submit throws a TypeError that says why', () => {
    expect(() => executor.submit(Math.max, 1, 2)).toThrow(TypeError);
    expect(() => executor.submit(Math.max, 1, 2)).toThrow(/native/);
    const bound = ((x: number) => x).bind(null);
    expect(() => executor.submit(bound, 1)).toThrow(/bound/);
    expect(() => executor.submit('x => x' as never)).toThrow(TypeError);
  });

  test('a function that reads a variable of its scope fails its future with an error that names it and says how to fix it', async () => {
    const factor = 3;
    const error = (await executor
      .submit(function scaled(x: number) {
        return x * factor;
      }, 2)
      .exception()) as Error;
    expect(error).toBeInstanceOf(ReferenceError);
    expect(error.message).toMatch(/"scaled" uses "factor"/);
    expect(error.message).toMatch(/fromModule/);
  });

  test('fromModule(): an exported function by reference; a missing module or export fails the future naming both', async () => {
    const tasks = new URL('../fixtures/process-tasks.mjs', import.meta.url);
    expect(await executor.submit(fromModule<(name: string) => string>(tasks, 'greet'), 'you')).toBe(
      'hi, you',
    );
    const noExport = (await executor.submit(fromModule(tasks, 'nothingHere')).exception()) as Error;
    expect(noExport.message).toMatch(/process-tasks\.mjs/);
    expect(noExport.message).toMatch(/nothingHere/);
    const noModule = (await executor
      .submit(fromModule(new URL('../fixtures/process-missing.mjs', import.meta.url), 'run'))
      .exception()) as Error;
    expect(noModule.message).toMatch(/process-missing\.mjs/);
    expect(noModule.message).toMatch(/"run"/);
    expect(await executor.submit(() => 'the pool goes on')).toBe('the pool goes on');
  });
});
