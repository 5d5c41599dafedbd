// Buffers and transfer lists through a ThreadPoolExecutor: a Buffer stays a Buffer (top level, as a
// view over the memory that arrived, not a copy), `schedule({ transfer })` moves ArrayBuffers and
// MessagePorts, `transfer()` moves a result back, and a call with a transfer list goes only to a
// free worker.

import { MessageChannel } from 'node:worker_threads';
import { ThreadPoolExecutor, transfer } from 'concurrent-futures';
import { Gate, block, warmUp } from '../thread/helpers.js';

let executor: ThreadPoolExecutor;
beforeAll(() => {
  executor = new ThreadPoolExecutor({ maxWorkers: 2 });
});
afterAll(() => executor.shutdown());

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('a Buffer stays a Buffer', () => {
  test('as an argument, and a plain Uint8Array stays one', async () => {
    const seen = await executor.submit(
      (b: Buffer, u: Uint8Array) => [Buffer.isBuffer(b), Buffer.isBuffer(u), b.toString('utf8')],
      Buffer.from('héllo'),
      new Uint8Array([1, 2]),
    );
    expect(seen).toEqual([true, false, 'héllo']);
  });

  test('as a view over the memory that arrived, not a copy: offset and backing store kept', async () => {
    const memory = new ArrayBuffer(64);
    const view = Buffer.from(memory, 4, 8);
    view.fill(7);
    const seen = await executor.submit(
      (b: Buffer) => [Buffer.isBuffer(b), b.byteOffset, b.length, b.buffer.byteLength, b[0]],
      view,
    );
    expect(seen).toEqual([true, 4, 8, 64, 7]);
  });

  test('as a result', async () => {
    const out = await executor.submit(() => Buffer.from('back'));
    expect(Buffer.isBuffer(out)).toBe(true);
    expect(out.toString()).toBe('back');
    const plain = await executor.submit(() => new Uint8Array(3));
    expect(Buffer.isBuffer(plain)).toBe(false);
    expect(plain).toBeInstanceOf(Uint8Array);
  });

  test('in every call of a map, chunked or not', async () => {
    const inputs = [Buffer.from('a'), Buffer.from('b'), Buffer.from('c')];
    for (const chunksize of [1, 2]) {
      const results: boolean[] = [];
      for await (const ok of executor.map((b: Buffer) => Buffer.isBuffer(b), inputs, { chunksize }))
        results.push(ok);
      expect(results).toEqual([true, true, true]);
    }
  });

  test('nested Buffers arrive as plain Uint8Arrays (documented: only the top level is kept)', async () => {
    const seen = await executor.submit(
      (o: { b: Buffer }) => [Buffer.isBuffer(o.b), o.b instanceof Uint8Array],
      { b: Buffer.from('x') },
    );
    expect(seen).toEqual([false, true]);
  });
});

describe('schedule({ transfer })', () => {
  test('moves the buffer: the worker sees the bytes, the caller is left with a detached buffer', async () => {
    const memory = new ArrayBuffer(1024);
    new Uint8Array(memory).fill(5);
    const future = executor.schedule((m: ArrayBuffer) => [m.byteLength, new Uint8Array(m)[1023]], {
      args: [memory],
      transfer: [memory],
    });
    expect(await future).toEqual([1024, 5]);
    expect(memory.byteLength).toBe(0);
  });

  test('a Buffer whose memory is transferred still arrives as a Buffer', async () => {
    const bytes = Buffer.from(new ArrayBuffer(16));
    bytes.write('moved');
    const seen = await executor.schedule(
      (b: Buffer) => [Buffer.isBuffer(b), b.subarray(0, 5).toString()],
      { args: [bytes], transfer: [bytes.buffer as ArrayBuffer] },
    );
    expect(seen).toEqual([true, 'moved']);
    expect(bytes.buffer.byteLength).toBe(0);
  });

  test('moves a MessagePort: the worker talks to the caller on it', async () => {
    const { port1, port2 } = new MessageChannel();
    const heard = new Promise((resolve) => port1.once('message', resolve));
    const result = await executor.schedule(
      (port: import('node:worker_threads').MessagePort) => {
        port.postMessage('hello from the worker');
        port.close();
        return 'sent';
      },
      { args: [port2], transfer: [port2] },
    );
    expect(result).toBe('sent');
    expect(await heard).toBe('hello from the worker');
    port1.close();
  });

  test('with a timeout too: both hold', async () => {
    const memory = new ArrayBuffer(8);
    const future = executor.schedule((m: ArrayBuffer) => m.byteLength, {
      args: [memory],
      transfer: [memory],
      timeout: 60000,
    });
    expect(await future).toBe(8);
  });

  test('a bad transfer list is a TypeError at the call, naming the element', () => {
    const fn = (): number => 1;
    expect(() => executor.schedule(fn, { transfer: 5 as never })).toThrow(
      /Expected `transfer` to be an array of ArrayBuffers and MessagePorts, got 5/,
    );
    expect(() => executor.schedule(fn, { transfer: [new Uint8Array(2)] as never })).toThrow(
      /Element 0 of `transfer` cannot be transferred: got a Uint8Array.*\.buffer/,
    );
    expect(() =>
      executor.schedule(fn, { transfer: [new ArrayBuffer(1), new SharedArrayBuffer(4)] as never }),
    ).toThrow(/Element 1 of `transfer` cannot be transferred: got a SharedArrayBuffer.*shared/);
    expect(() => executor.schedule(fn, { transfer: [{}] as never })).toThrow(TypeError);
    // A hole is an element too (forEach skipped it, and postMessage failed the call later).
    // eslint-disable-next-line no-sparse-arrays
    expect(() => executor.schedule(fn, { transfer: [, new ArrayBuffer(1)] as never })).toThrow(
      /Element 0 of `transfer` cannot be transferred: got undefined/,
    );
    expect(() => executor.schedule(fn, { transfer: null })).not.toThrow();
  });

  test('a buffer moved already is a TypeError saying so, not a call on empty memory', async () => {
    // Transferring the same buffer a second time once ran the call on a 0-byte buffer.
    const memory = new ArrayBuffer(8);
    const length = (m: ArrayBuffer): number => m.byteLength;
    expect(await executor.schedule(length, { args: [memory], transfer: [memory] })).toBe(8);
    expect(() => executor.schedule(length, { args: [memory], transfer: [memory] })).toThrow(
      /Element 0 of `transfer` is an ArrayBuffer that was moved already.*detached/,
    );
    const empty = new ArrayBuffer(0); // empty is not detached
    expect(await executor.schedule(length, { args: [empty], transfer: [empty] })).toBe(0);
  });

  test('a stack a thread cannot start with (too small, Infinity) is refused at construction', () => {
    // Node aborted the caller's whole process as the thread started.
    for (const stackSizeMb of [0.2, Infinity, NaN])
      expect(() => new ThreadPoolExecutor({ resourceLimits: { stackSizeMb } })).toThrow(
        new RegExp(
          `resourceLimits.stackSizeMb of ${stackSizeMb} cannot start a thread.*whole process`,
        ),
      );
  });

  test('resourceLimits changed after the constructor checked them are not used (a copy is kept)', async () => {
    // Kept by reference, a stackSizeMb set later past the check ended the whole process when the
    // thread started.
    const limits: { stackSizeMb?: number; maxOldGenerationSizeMb?: number } = {
      maxOldGenerationSizeMb: 64,
    };
    const pool = new ThreadPoolExecutor({ maxWorkers: 1, resourceLimits: limits });
    limits.stackSizeMb = 0.1;
    limits.maxOldGenerationSizeMb = 1;
    const heapLimitMb = (): number =>
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      Math.round(require('node:v8').getHeapStatistics().heap_size_limit / 2 ** 20);
    expect(await pool.submit(heapLimitMb)).toBeGreaterThanOrEqual(64);
    await pool.shutdown();
  });

  test('an old-generation heap of 0 MB or less (or NaN) is refused at construction', () => {
    // Every thread ran out of memory as it started, and the pool broke on the first call.
    for (const maxOldGenerationSizeMb of [-5, 0, NaN])
      expect(() => new ThreadPoolExecutor({ resourceLimits: { maxOldGenerationSizeMb } })).toThrow(
        new RegExp(`maxOldGenerationSizeMb of ${maxOldGenerationSizeMb} leaves a thread no heap`),
      );
  });

  test('a heap too small to start a thread breaks the pool saying to raise the limit', async () => {
    const small = new ThreadPoolExecutor({
      maxWorkers: 1,
      resourceLimits: { maxOldGenerationSizeMb: 1 },
    });
    await expect(small.submit(() => 1)).rejects.toThrow(
      /too little memory to start.*raise the limit/,
    );
    await small.shutdown();
  });

  test('a buffer an earlier transfer moved away, passed again, is told to be copied', async () => {
    const memory = new ArrayBuffer(8);
    const size = (m: ArrayBuffer): number => m.byteLength;
    expect(await executor.schedule(size, { args: [memory], transfer: [memory] })).toBe(8);
    const error = await executor.submit(size, memory).exception();
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/moved away by an earlier transfer.*pass a copy/);
  });

  test('an ArrayBuffer listed twice is moved once', async () => {
    const memory = new ArrayBuffer(4);
    const length = await executor.schedule((m: ArrayBuffer) => m.byteLength, {
      args: [memory],
      transfer: [memory, memory],
    });
    expect(length).toBe(4);
  });
});

describe('transfer() for results', () => {
  test('moves a result back: the caller gets the bytes, the worker is left with a detached buffer', async () => {
    const solo = new ThreadPoolExecutor({ maxWorkers: 1 });
    try {
      const out = await solo.submit(async () => {
        const { transfer } = await import('concurrent-futures');
        const bytes = new Uint8Array(1 << 20);
        bytes[12345] = 42;
        (globalThis as { kept?: Uint8Array }).kept = bytes;
        return transfer(bytes, [bytes.buffer]);
      });
      expect(out).toBeInstanceOf(Uint8Array);
      expect(out.length).toBe(1 << 20);
      expect(out[12345]).toBe(42);
      // The same (only) worker: what it returned was moved away from it.
      const left = await solo.submit(() => (globalThis as { kept?: Uint8Array }).kept!.byteLength);
      expect(left).toBe(0);
    } finally {
      await solo.shutdown();
    }
  });

  test('a Buffer returned with transfer() arrives as a Buffer', async () => {
    const out = await executor.submit(async () => {
      const { transfer } = await import('concurrent-futures');
      const bytes = Buffer.from(new ArrayBuffer(8));
      bytes.write('abc');
      return transfer(bytes, [bytes.buffer as ArrayBuffer]);
    });
    expect(Buffer.isBuffer(out)).toBe(true);
    expect(out.subarray(0, 3).toString()).toBe('abc');
  });

  test('a bad list or a primitive fails the call with a TypeError', async () => {
    await expect(
      executor.submit(async () => {
        const { transfer } = await import('concurrent-futures');
        return transfer(new Uint8Array(1), [new Uint8Array(1)] as never);
      }),
    ).rejects.toThrow(/Element 0 of the list given to transfer\(\) cannot be transferred/);
    await expect(
      executor.submit(async () => {
        const { transfer } = await import('concurrent-futures');
        return transfer(42 as never, []);
      }),
    ).rejects.toThrow(/Expected the value given to transfer\(\) to be an object/);
  });

  test('outside a pool it returns the value itself', () => {
    const value = new Uint8Array(4);
    expect(transfer(value, [value.buffer])).toBe(value);
    expect(value.byteLength).toBe(4);
  });
});

describe('a call with a transfer list goes only to a free worker', () => {
  test('never handed ahead to a busy worker: it stays queued (its buffer attached) until one is free', async () => {
    const solo = new ThreadPoolExecutor({ maxWorkers: 1 });
    try {
      await warmUp(solo); // the window is wide open: plain calls would be handed ahead
      const gate = new Gate();
      const blocked = solo.submit(block, gate.sab);
      await gate.started();
      const memory = new ArrayBuffer(32);
      new Uint8Array(memory)[0] = 9;
      // Held alone by its worker: under the window of any function, so any other call would go ahead.
      const moved = solo.schedule((m: ArrayBuffer) => new Uint8Array(m)[0], {
        args: [memory],
        transfer: [memory],
      });
      for (let i = 0; i < 20; i++) await tick();
      // Not sent: it would have been detached by postMessage.
      expect(memory.byteLength).toBe(32);
      expect(moved.running()).toBe(false);
      gate.release();
      expect(await blocked).toBe('released');
      expect(await moved).toBe(9);
      expect(memory.byteLength).toBe(0);
    } finally {
      await solo.shutdown();
    }
  });

  test('and the worker running it takes no other call meanwhile', async () => {
    const pair = new ThreadPoolExecutor({ maxWorkers: 2 });
    try {
      await warmUp(pair);
      const gate = new Gate();
      const memory = new ArrayBuffer(8);
      const moved = pair.schedule(block, { args: [gate.sab], transfer: [memory] });
      await gate.started();
      // Many fast calls: all must finish on the other worker while the first is blocked.
      const fast = Array.from({ length: 200 }, (_, i) => pair.submit((x: number) => x, i));
      expect((await Promise.all(fast)).length).toBe(200);
      gate.release();
      expect(await moved).toBe('released');
    } finally {
      await pair.shutdown();
    }
  });

  test('a cancelled call with a transfer list never moves its buffer', async () => {
    const solo = new ThreadPoolExecutor({ maxWorkers: 1 });
    try {
      const gate = new Gate();
      const blocked = solo.submit(block, gate.sab);
      await gate.started();
      const memory = new ArrayBuffer(8);
      const moved = solo.schedule((m: ArrayBuffer) => m.byteLength, {
        args: [memory],
        transfer: [memory],
      });
      for (let i = 0; i < 5; i++) await tick();
      expect(moved.cancel()).toBe(true);
      gate.release();
      await blocked;
      expect(memory.byteLength).toBe(8);
    } finally {
      await solo.shutdown();
    }
  });
});

describe('a transfer call whose arguments cannot be read back in the worker', () => {
  test('fails alone, with an error that says so, and the pool goes on', async () => {
    const unreadable = new Error('loop');
    (unreadable as Error & { cause?: unknown }).cause = unreadable; // serialises, cannot be read back
    const memory = new ArrayBuffer(8);
    await expect(
      executor.schedule((_e: unknown, m: ArrayBuffer) => m.byteLength, {
        args: [unreadable, memory],
        transfer: [memory],
      }),
    ).rejects.toThrow(
      /could not be read back in the worker, and its transfer list moved with them/,
    );
    expect(await executor.submit((x: number) => x * 2, 21)).toBe(42);
  });
});
