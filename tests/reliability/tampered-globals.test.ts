// A call runs in the same realm as its worker's runtime, and may replace any built-in there. Whatever
// it replaces, the worker must go on hearing its pool (issue 15): on a fresh one-worker pool, the
// tampering call settles with its own value or error, a plain call after it returns its value, an
// async one too, a thrown RangeError arrives as a RangeError with its message, a map() over the
// same worker yields its items, and shutdown() completes. The timeouts only turn a hang into a
// failure. Each row failed (hung, broke the pool, or lost the error's name) before the worker kept
// its own copies of the built-ins (src/worker/intrinsics.ts); a row marked `only` failed on that
// kind of pool alone (the other did not use what it replaces), and tamperings that failed on
// neither (Reflect.ownKeys, JSON, String.prototype methods, Atomics, …) are left out.
//
// The tampering calls are written as source text (new Function): a table is easier to read than
// forty arrow functions, and a function made by new Function travels by source like any other.

import { KINDS, cleanUpAfterEach, makePool, withTimeout } from './support.js';

cleanUpAfterEach();

const STEP_MS = 20_000;

/** What the tampering call itself settles with: its value, or an error with this name and message. */
type Expected = { value: unknown } | { error: string; message: string | RegExp };

interface Row {
  /** What the call replaces. */
  what: string;
  /** The call's body. */
  body: string;
  expected: Expected;
  /** Only on this kind of pool (the thing replaced exists only there). */
  only?: 'thread' | 'process';
}

const returnsOne: Expected = { value: 1 };

const ROWS: Row[] = [
  {
    what: 'Array.prototype.push (null)',
    body: 'Array.prototype.push = null; return 1;',
    expected: returnsOne,
  },
  {
    what: 'Array.prototype.push',
    body: 'Array.prototype.push = function () { return 0; }; return 1;',
    expected: returnsOne,
  },
  {
    what: 'Array.prototype.slice and splice',
    body: 'Array.prototype.slice = null; Array.prototype.splice = null; return 1;',
    expected: returnsOne,
    only: 'process',
  },
  {
    what: 'Array.prototype.constructor[Symbol.species] (every slice throws)',
    body: "Array.prototype.constructor = { [Symbol.species]: function () { throw new Error('species'); } }; return 1;",
    expected: returnsOne,
    only: 'process',
  },
  {
    what: 'Array.prototype[Symbol.iterator]',
    body: 'Array.prototype[Symbol.iterator] = null; return 1;',
    expected: returnsOne,
    only: 'process',
  },
  { what: 'globalThis.Array', body: 'globalThis.Array = null; return 1;', expected: returnsOne },
  {
    what: 'Map.prototype.get and set',
    body: 'Map.prototype.get = () => undefined; Map.prototype.set = () => {}; return 1;',
    expected: returnsOne,
  },
  {
    what: 'Set.prototype.add and has',
    body: 'Set.prototype.add = null; Set.prototype.has = null; Set.prototype.delete = null; return 1;',
    expected: returnsOne,
    only: 'process',
  },
  {
    what: 'WeakSet.prototype and WeakMap.prototype',
    body: 'WeakSet.prototype.add = null; WeakSet.prototype.has = null; WeakMap.prototype.get = null; WeakMap.prototype.set = null; return 1;',
    expected: returnsOne,
  },
  {
    what: 'Function.prototype.call, apply and bind',
    body: 'Function.prototype.call = null; Function.prototype.apply = null; Function.prototype.bind = null; return 1;',
    expected: returnsOne,
  },
  {
    what: 'Promise.prototype.then (does nothing)',
    body: 'Promise.prototype.then = function () { return this; }; return 1;',
    expected: returnsOne,
  },
  {
    what: 'Promise.prototype.then (null) and catch',
    body: 'Promise.prototype.then = null; Promise.prototype.catch = null; Promise.prototype.finally = null; return 1;',
    expected: returnsOne,
  },
  {
    what: 'Promise.resolve and Promise.reject',
    body: 'Promise.resolve = null; Promise.reject = null; return 1;',
    expected: returnsOne,
  },
  {
    what: 'Error.prepareStackTrace that throws',
    body: "Error.prepareStackTrace = () => { throw new Error('pst'); }; throw new TypeError('x');",
    expected: { error: 'TypeError', message: 'x' },
  },
  {
    what: 'Object.keys, defineProperty, getOwnPropertyNames',
    body: "Object.keys = null; Object.defineProperty = null; Object.getOwnPropertyNames = null; Object.entries = null; throw new Error('x');",
    expected: { error: 'Error', message: 'x' },
  },
  {
    what: 'Object.getPrototypeOf and Object.getOwnPropertyDescriptor',
    body: "Object.getPrototypeOf = null; Object.getOwnPropertyDescriptor = null; Object.hasOwn = null; throw new SyntaxError('x');",
    expected: { error: 'SyntaxError', message: 'x' },
  },
  {
    what: 'globalThis.Error and TypeError',
    body: 'globalThis.Error = null; globalThis.TypeError = null; globalThis.SyntaxError = null; return 1;',
    expected: returnsOne,
  },
  { what: 'globalThis.String', body: 'globalThis.String = null; return 1;', expected: returnsOne },
  {
    what: 'RegExp.prototype.exec and test',
    body: 'RegExp.prototype.exec = () => null; RegExp.prototype.test = null; return 1;',
    expected: returnsOne,
  },
  {
    what: 'performance.now',
    body: 'performance.now = null; return 1;',
    expected: returnsOne,
    only: 'process',
  },
  {
    what: 'setTimeout, clearTimeout, setImmediate, queueMicrotask',
    body: 'globalThis.setTimeout = null; globalThis.clearTimeout = null; globalThis.setImmediate = null; globalThis.queueMicrotask = null; return 1;',
    expected: returnsOne,
    only: 'process',
  },
  { what: 'process.cwd', body: 'process.cwd = null; return 1;', expected: returnsOne },
  {
    what: 'process.exit (replaced with a no-op)',
    body: 'process.exit = () => {}; process.reallyExit = () => {}; return 1;',
    expected: returnsOne,
  },
  {
    what: 'an uncaughtException handler that swallows everything',
    body: "process.on('uncaughtException', () => {}); process.on('unhandledRejection', () => {}); Array.prototype.push = function () { return 0; }; return 1;",
    expected: returnsOne,
  },
  {
    what: 'Buffer statics and globalThis.Buffer',
    body: 'Buffer.from = null; Buffer.concat = null; Buffer.alloc = null; Buffer.allocUnsafe = null; globalThis.Buffer = null; return 1;',
    expected: returnsOne,
  },
  {
    what: 'Buffer.prototype read/write methods',
    body: "for (const k of ['readUInt32LE', 'writeUInt32LE', 'indexOf', 'subarray', 'slice', 'toString']) Buffer.prototype[k] = null; return 1;",
    expected: returnsOne,
    only: 'process',
  },
  {
    what: 'v8 Serializer and Deserializer methods',
    body: "return import('node:v8').then((v8) => { for (const C of [v8.Serializer, v8.Deserializer, v8.DefaultSerializer, v8.DefaultDeserializer]) for (const k of Object.getOwnPropertyNames(C.prototype)) if (k !== 'constructor') C.prototype[k] = null; v8.serialize = null; v8.deserialize = null; return 1; });",
    expected: returnsOne,
    only: 'process',
  },
  {
    what: 'net.Socket.prototype.write and stream methods',
    body: "return Promise.all([import('node:net'), import('node:stream')]).then(([net, stream]) => { net.Socket.prototype.write = null; stream.Writable.prototype.write = null; stream.Duplex.prototype.write = null; stream.Readable.prototype.push = null; return 1; });",
    expected: returnsOne,
    only: 'process',
  },
  {
    what: 'EventEmitter.prototype.emit and on',
    body: "return import('node:events').then(({ EventEmitter }) => { EventEmitter.prototype.emit = () => false; EventEmitter.prototype.on = null; return 1; });",
    expected: returnsOne,
    only: 'process',
  },
  {
    what: 'process.nextTick (a no-op: a socket write that completes at once never calls back)',
    body: 'process.nextTick = () => {}; return 1;',
    expected: returnsOne,
    only: 'process',
  },
  {
    what: "Node's IPC channel (process.disconnect(); the pool does not use it)",
    body: 'process.disconnect(); return 1;',
    expected: returnsOne,
    only: 'process',
  },
  {
    what: 'globalThis.performance (fake timers left installed)',
    body: 'globalThis.performance = { now: () => 0 }; return 1;',
    expected: returnsOne,
  },
  {
    what: 'MessagePort.prototype.postMessage',
    body: "return import('node:worker_threads').then(({ MessagePort }) => { MessagePort.prototype.postMessage = () => {}; return 1; });",
    expected: returnsOne,
    only: 'thread',
  },
];

async function outcome(future: PromiseLike<unknown>): Promise<string> {
  return Promise.resolve(future).then(
    (value) => `ok ${String(value)}`,
    (error: unknown) => `error ${(error as Error)?.name}: ${(error as Error)?.message}`,
  );
}

describe.each(KINDS)('%s pool: a call that tampers with globals', (kind) => {
  const rows = ROWS.filter((row) => row.only === undefined || row.only === kind);
  test.each(rows.map((row) => [row.what, row] as const))(
    'replaces %s: its worker goes on',
    async (_what, row) => {
      const pool = makePool(kind, { maxWorkers: 1 });
      const tamper = new Function(row.body) as () => unknown;
      const own = await withTimeout(outcome(pool.submit(tamper)), STEP_MS, 'the tampering call');
      if ('value' in row.expected) expect(own).toBe(`ok ${String(row.expected.value)}`);
      else {
        expect(own).toMatch(new RegExp(`^error ${row.expected.error}: `));
        expect(own.slice(`error ${row.expected.error}: `.length)).toMatch(row.expected.message);
      }
      expect(await withTimeout(outcome(pool.submit(() => 42)), STEP_MS, 'a plain call')).toBe(
        'ok 42',
      );
      expect(
        await withTimeout(outcome(pool.submit(async () => 43)), STEP_MS, 'an async call'),
      ).toBe('ok 43');
      const thrown = await withTimeout(
        pool
          .submit(() => {
            throw new RangeError('r');
          })
          .then(
            () => undefined,
            (error: unknown) => error,
          ),
        STEP_MS,
        'a call that throws',
      );
      expect(thrown).toBeInstanceOf(RangeError);
      expect((thrown as RangeError).name).toBe('RangeError');
      expect((thrown as RangeError).message).toBe('r');
      const mapped: number[] = [];
      const items = pool.map((n: number) => n * 2, [1, 2, 3, 4], { chunksize: 2 });
      await withTimeout(
        (async () => {
          for await (const item of items) mapped.push(item);
        })(),
        STEP_MS,
        'map()',
      );
      expect(mapped).toEqual([2, 4, 6, 8]);
      await withTimeout(pool.shutdown(), STEP_MS, 'shutdown()');
    },
  );
});

describe.each(KINDS)('%s pool: errors thrown after a call tampered with globals', (kind) => {
  test('keep their class, name, message, stack, cause and own properties', async () => {
    const pool = makePool(kind, { maxWorkers: 1 });
    const tamper = new Function(
      "for (const k of ['keys', 'entries', 'defineProperty', 'getOwnPropertyNames', 'getPrototypeOf', 'hasOwn']) Object[k] = null;" +
        "for (const k of ['map', 'push', 'slice', 'join']) Array.prototype[k] = null;" +
        'Array.isArray = null; globalThis.Error = null; globalThis.String = null; return 1;',
    ) as () => unknown;
    expect(await withTimeout(pool.submit(tamper), STEP_MS, 'the tampering call')).toBe(1);
    const thrown = await withTimeout(
      pool
        .submit(() => {
          const error = new TypeError('outer', { cause: new RangeError('inner') });
          (error as TypeError & { code: string }).code = 'E_TAMPERED';
          throw error;
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        ),
      STEP_MS,
      'a call that throws',
    );
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as TypeError).name).toBe('TypeError');
    expect((thrown as TypeError).message).toBe('outer');
    expect((thrown as TypeError).stack).toMatch(/^TypeError: outer\n\s+at /);
    expect((thrown as TypeError & { code: string }).code).toBe('E_TAMPERED');
    expect((thrown as TypeError).cause).toBeInstanceOf(RangeError);
    expect(((thrown as TypeError).cause as RangeError).message).toBe('inner');
    await withTimeout(pool.shutdown(), STEP_MS, 'shutdown()');
  });

  test('whose stack cannot be read (a throwing Error.prepareStackTrace) keep their name and message', async () => {
    const pool = makePool(kind, { maxWorkers: 1 });
    const tamper = new Function(
      "Error.prepareStackTrace = () => { throw new Error('no stacks here'); }; return 1;",
    ) as () => unknown;
    expect(await withTimeout(pool.submit(tamper), STEP_MS, 'the tampering call')).toBe(1);
    const thrown = await withTimeout(
      pool
        .submit(() => {
          throw new SyntaxError('s');
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        ),
      STEP_MS,
      'a call that throws',
    );
    expect(thrown).toBeInstanceOf(SyntaxError);
    expect((thrown as SyntaxError).message).toBe('s');
    expect((thrown as SyntaxError).stack).toMatch(
      /^SyntaxError: s\n\s+\(stack unavailable: reading it threw: no stacks here\)/,
    );
    await withTimeout(pool.shutdown(), STEP_MS, 'shutdown()');
  });
});
