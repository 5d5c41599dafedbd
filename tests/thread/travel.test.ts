// How a function travels to a worker thread (by source, or by reference with fromModule), and how
// arguments, results and errors cross.

import { ThreadPoolExecutor, fromModule } from 'concurrent-futures';

type Tasks = typeof import('../fixtures/thread-tasks.mjs');
const TASKS = new URL('../fixtures/thread-tasks.mjs', import.meta.url);

let executor: ThreadPoolExecutor;
beforeAll(() => {
  executor = new ThreadPoolExecutor({ maxWorkers: 2 });
});
afterAll(() => executor.shutdown());

describe('by source', () => {
  test('arrows, declarations, expressions, async functions and method shorthand', async () => {
    function add(a: number, b: number): number {
      return a + b;
    }
    const mul = function (a: number, b: number): number {
      return a * b;
    };
    async function later(x: string): Promise<string> {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return x.toUpperCase();
    }
    const methods = {
      double(x: number): number {
        return x * 2;
      },
      async halve(x: number): Promise<number> {
        return x / 2;
      },
    };
    expect(await executor.submit((x: number) => x + 1, 1)).toBe(2);
    expect(await executor.submit(add, 2, 3)).toBe(5);
    expect(await executor.submit(mul, 2, 3)).toBe(6);
    expect(await executor.submit(later, 'abc')).toBe('ABC');
    expect(await executor.submit(async () => 'async arrow')).toBe('async arrow');
    expect(await executor.submit(methods.double, 21)).toBe(42);
    expect(await executor.submit(methods.halve, 21)).toBe(10.5);
  });

  test('a function may import what it needs with await import()', async () => {
    const digest = async (text: string): Promise<string> => {
      const { createHash } = await import('node:crypto');
      return createHash('sha256').update(text).digest('hex').slice(0, 8);
    };
    const { createHash } = await import('node:crypto');
    expect(await executor.submit(digest, 'hi')).toBe(
      createHash('sha256').update('hi').digest('hex').slice(0, 8),
    );
  });

  test('source is compiled once per worker, not per call: state kept on the compiled function survives', async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    // A function expression that counts its own calls on itself: compiled once, the count grows.
    const counted = function counted(): number {
      const self = counted as unknown as { calls?: number };
      self.calls = (self.calls ?? 0) + 1;
      return self.calls;
    };
    const results = await Promise.all(Array.from({ length: 1000 }, () => pool.submit(counted)));
    expect(results).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    // Another function with the same source is the same function to the pool.
    const twin = function counted(): number {
      const self = counted as unknown as { calls?: number };
      self.calls = (self.calls ?? 0) + 1;
      return self.calls;
    };
    expect(await pool.submit(twin)).toBe(1001);
  });

  test('a free variable fails the future with an error naming the function and the variable, and how to fix it', async () => {
    const factor = 3;
    const scale = (x: number): number => x * factor;
    const error = (await executor.submit(scale, 2).exception()) as Error;
    expect(error).toBeInstanceOf(ReferenceError);
    expect(error.message).toMatch(/"scale"/);
    expect(error.message).toMatch(/"factor"/);
    expect(error.message).toMatch(/argument|fromModule|import/);
    // Only that future: the pool goes on.
    expect(await executor.submit((x: number, k: number) => x * k, 2, factor)).toBe(6);
  });

  test('a ReferenceError about a name the function does not use is left as it is', async () => {
    // From a module the call imports, or thrown on purpose: no variable of its scope is missing.
    const fromItsModule = async (): Promise<unknown> => {
      const missing = ['config', 'Table'].join(''); // the name is not in this function's source
      const module: unknown = await import(
        `data:text/javascript,export const read = () => ${missing};`
      );
      return (module as { read(): unknown }).read();
    };
    const error = (await executor.submit(fromItsModule).exception()) as Error;
    expect(error).toBeInstanceOf(ReferenceError);
    expect(error.message).toBe('configTable is not defined');
    // A longer name of its own that contains the missing one is not a use of it either.
    const longer = (): never => {
      const configTableRows = 1;
      throw new ReferenceError(`${['config', 'Table'].join('')} is not defined`, {
        cause: configTableRows,
      });
    };
    expect(((await executor.submit(longer).exception()) as Error).message).toBe(
      'configTable is not defined',
    );
  });

  test("a function wrapped by esbuild's keepNames (__name helper, as under tsx) still travels", async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    // The source text a tsx user's function has: an inner function wrapped in the module's __name().
    const underTsx = new Function(
      'n',
      'const double = __name((x) => x * 2, "double"); return double.name + ":" + double(n);',
    );
    expect(await executor.submit(underTsx as (n: number) => string, 21)).toBe('double:42');
  });

  test('native and bound functions: submit throws a TypeError at once, saying why', () => {
    expect(() => executor.submit(Math.max, 1, 2)).toThrow(TypeError);
    expect(() => executor.submit(Math.max, 1, 2)).toThrow(/native/);
    const bound = function (this: { k: number }, x: number): number {
      return x * this.k;
    }.bind({ k: 2 });
    expect(() => executor.submit(bound, 1)).toThrow(TypeError);
    expect(() => executor.submit(bound, 1)).toThrow(/bound/);
    expect(() => executor.map(Math.abs, [1])).toThrow(TypeError);
    expect(() => executor.submit(42 as never)).toThrow(TypeError);
  });
});

describe('fromModule', () => {
  test('calls a module export by reference, typed from the export', async () => {
    const square = fromModule<Tasks['square']>(TASKS, 'square');
    const value: number = await executor.submit(square, 7);
    expect(value).toBe(49);
    expect(await executor.submit(fromModule<Tasks['slowDouble']>(TASKS, 'slowDouble'), 4)).toBe(8);
    expect(await executor.submit(fromModule<Tasks['default']>(TASKS), 5)).toBe(15);
    expect(await executor.submit(fromModule<Tasks['square']>(TASKS.href, 'square'), 3)).toBe(9);
    expect(await executor.submit(fromModule<Tasks['square']>(TASKS.pathname, 'square'), 4)).toBe(
      16,
    );
    const results: number[] = [];
    for await (const result of executor.map(square, [1, 2, 3], { chunksize: 2 }))
      results.push(result);
    expect(results).toEqual([1, 4, 9]);
    // @ts-expect-error: square takes a number
    void executor.submit(square, 'seven').exception();
  });

  test('the module is imported once per worker', async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const whoAmI = fromModule<Tasks['whoAmI']>(TASKS, 'whoAmI');
    const results = await Promise.all(Array.from({ length: 50 }, () => pool.submit(whoAmI)));
    expect(new Set(results.map((r) => r.imports))).toEqual(new Set([1]));
    expect(new Set(results.map((r) => r.threadId)).size).toBe(1);
  });

  test('a missing module or export fails the future with an error naming both', async () => {
    const missingModule = new URL('../fixtures/no-such-module.mjs', import.meta.url);
    const error1 = (await executor.submit(fromModule(missingModule, 'run')).exception()) as Error;
    expect(error1.message).toContain(missingModule.href);
    expect(error1.message).toContain('"run"');
    const error2 = (await executor.submit(fromModule(TASKS, 'noSuchExport')).exception()) as Error;
    expect(error2.message).toContain(TASKS.href);
    expect(error2.message).toContain('"noSuchExport"');
    const error3 = (await executor.submit(fromModule(TASKS, 'notAFunction')).exception()) as Error;
    expect(error3.message).toMatch(/notAFunction.*not a function/);
    expect(await executor.submit(fromModule<Tasks['square']>(TASKS, 'square'), 2)).toBe(4);
  });

  test('a relative path throws a TypeError at once that shows the fix', () => {
    expect(() => fromModule('./tasks.js', 'run')).toThrow(TypeError);
    expect(() => fromModule('./tasks.js', 'run')).toThrow(
      /new URL\("\.\/tasks\.js", import\.meta\.url\)/,
    );
    expect(() => fromModule('../tasks.js')).toThrow(TypeError);
  });
});

describe('arguments and results', () => {
  test('structured-clone values round-trip', async () => {
    const echo = (value: unknown): unknown => value;
    const values: unknown[] = [
      123n,
      new Map<unknown, unknown>([
        ['a', 1],
        [2, { b: [3] }],
      ]),
      new Set([1, 'two', 3n]),
      new Date(86400000),
      /ab+c/gi,
      new Uint8Array([1, 2, 255]),
      new Float64Array([0.5, -1]),
      new Uint8Array([9, 8, 7]).buffer,
      { nested: { list: [1, null, undefined, 'x'], when: new Date(0) } },
      NaN,
      -0,
      undefined,
      null,
    ];
    for (const value of values) {
      const back = await executor.submit(echo, value);
      expect(back).toEqual(value);
      // Same kind of object (compared by tag: under jest, values cloned by Node live in another realm).
      expect(Object.prototype.toString.call(back)).toBe(Object.prototype.toString.call(value));
    }
    // An Error as a value (not thrown) is cloned by Node itself, in Node's realm: under jest's vm
    // realm, instanceof cannot hold, so compare by name and tag.
    const error = (await executor.submit(echo, new RangeError('as a value'))) as Error;
    expect(Object.prototype.toString.call(error)).toBe('[object Error]');
    expect(error.name).toBe('RangeError');
    expect(error.message).toBe('as a value');
    // Values computed in the worker come back too.
    const made = await executor.submit(() => ({
      big: 2n ** 70n,
      map: new Map([[1, new Set([2])]]),
      bytes: new Uint16Array([7]),
    }));
    expect(made).toEqual({
      big: 2n ** 70n,
      map: new Map([[1, new Set([2])]]),
      bytes: new Uint16Array([7]),
    });
  });

  test('an argument that cannot be cloned fails only its own future, with a clear error', async () => {
    const echo = (value: unknown): unknown => value;
    const futures = [
      executor.submit(echo, 1),
      executor.submit(echo, () => 'a function'),
      executor.submit(echo, 2),
      executor.submit(echo, Symbol('s')),
      executor.submit(echo, 3),
    ];
    const outcomes = await Promise.all(futures.map((future) => future.exception()));
    expect(outcomes[0]).toBeUndefined();
    expect(outcomes[2]).toBeUndefined();
    expect(outcomes[4]).toBeUndefined();
    for (const i of [1, 3]) {
      expect(outcomes[i]).toBeInstanceOf(TypeError);
      expect((outcomes[i] as Error).message).toMatch(/arguments.*could not be sent/);
      expect((outcomes[i] as Error).message).toMatch(/structured clone/);
    }
    expect(await Promise.all([futures[0], futures[2], futures[4]])).toEqual([1, 2, 3]);
    expect(await executor.submit(echo, 'still working')).toBe('still working');
  });

  test('a result that cannot be cloned fails its own future', async () => {
    const futures = [
      executor.submit(() => 1),
      executor.submit(() => () => 'a function'),
      executor.submit(() => 2),
      executor.submit(() => [1, Symbol('inside an array')]),
    ];
    const outcomes = await Promise.all(futures.map((future) => future.exception()));
    expect(outcomes[0]).toBeUndefined();
    expect(outcomes[2]).toBeUndefined();
    for (const i of [1, 3]) {
      expect(outcomes[i]).toBeInstanceOf(TypeError);
      expect((outcomes[i] as Error).message).toMatch(/result could not be sent back/);
    }
    expect(await executor.submit(() => 'still working')).toBe('still working');
  });
});

describe('errors thrown by a call', () => {
  test('keep name, message, the worker stack, cause and own enumerable properties', async () => {
    const fail = (): never => {
      class QuotaError extends Error {
        override name = 'QuotaError';
      }
      const error = new QuotaError('over quota', {
        cause: new TypeError('root cause'),
      }) as QuotaError & { code: string; limit: number };
      error.code = 'E_QUOTA';
      error.limit = 10;
      throw error;
    };
    const error = (await executor.submit(fail).exception()) as Error & {
      code: string;
      limit: number;
    };
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('QuotaError');
    expect(error.message).toBe('over quota');
    expect(error.stack).toMatch(/QuotaError: over quota/);
    // The worker's stack: frames of the compiled source and of the worker runtime (bundled into
    // the thread's entry, scripts/build.mjs), not of this test.
    expect(error.stack).toMatch(/\[fail sent by source\]/);
    expect(error.stack).toMatch(/worker\/thread-entry\.js/);
    expect(error.stack).not.toMatch(/travel\.test/);
    expect(error.cause).toBeInstanceOf(TypeError);
    expect((error.cause as Error).message).toBe('root cause');
    expect(error.code).toBe('E_QUOTA');
    expect(error.limit).toBe(10);
    await expect(executor.submit(fail)).rejects.toMatchObject({
      name: 'QuotaError',
      code: 'E_QUOTA',
    });
  });

  test('built-in classes keep instanceof', async () => {
    const typeError = await executor
      .submit(() => (null as unknown as number).valueOf())
      .exception();
    expect(typeError).toBeInstanceOf(TypeError);
    const rangeError = await executor.submit(() => new Array(-1)).exception();
    expect(rangeError).toBeInstanceOf(RangeError);
    const syntaxError = await executor.submit(() => JSON.parse('{')).exception();
    expect(syntaxError).toBeInstanceOf(SyntaxError);
    const uriError = await executor.submit(() => decodeURIComponent('%')).exception();
    expect(uriError).toBeInstanceOf(URIError);
  });

  test('a thrown non-Error value arrives as that value', async () => {
    expect(await executor.submit(() => Promise.reject(42)).exception()).toBe(42);
    const throwIt = (value: unknown): never => {
      throw value;
    };
    expect(await executor.submit(throwIt, 42).exception()).toBe(42);
    expect(await executor.submit(throwIt, 'text').exception()).toBe('text');
    expect(await executor.submit(throwIt, { code: 1 }).exception()).toEqual({ code: 1 });
    expect(await executor.submit(throwIt, undefined).exception()).toBeUndefined();
    expect(
      (await executor
        .submit(throwIt, undefined)
        .result()
        .catch((e: unknown) => ['caught', e])) as unknown[],
    ).toEqual(['caught', undefined]);
  });

  test('AggregateError keeps its errors; DOMException keeps its name', async () => {
    const aggregate = (await executor
      .submit(() =>
        Promise.any([Promise.reject(new TypeError('a')), Promise.reject(new RangeError('b'))]),
      )
      .exception()) as AggregateError;
    expect(aggregate).toBeInstanceOf(AggregateError);
    expect(aggregate.errors).toHaveLength(2);
    expect(aggregate.errors[0]).toBeInstanceOf(TypeError);
    expect(aggregate.errors[1]).toBeInstanceOf(RangeError);
    expect(aggregate.errors.map((e: Error) => e.message)).toEqual(['a', 'b']);
    const abort = (await executor
      .submit(() => {
        const controller = new AbortController();
        controller.abort();
        throw controller.signal.reason;
      })
      .exception()) as DOMException;
    expect(abort).toBeInstanceOf(DOMException);
    expect(abort.name).toBe('AbortError');
    const timeout = (await executor
      .submit(() => {
        throw new DOMException('too slow', 'TimeoutError');
      })
      .exception()) as DOMException;
    expect(timeout.name).toBe('TimeoutError');
    expect(timeout.message).toBe('too slow');
  });
});
