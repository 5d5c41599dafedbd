// `transfer` on the executors that do not move memory: a process pool copies (its channel is a
// byte stream), the event loop passes everything by reference. Both accept the option and check it
// as the thread pool does; a Buffer is a Buffer on both, nested too.

import { MessageChannel } from 'node:worker_threads';
import { EventLoopExecutor, ProcessPoolExecutor, transfer } from 'concurrent-futures';

describe('ProcessPoolExecutor', () => {
  let executor: ProcessPoolExecutor;
  beforeAll(() => {
    executor = new ProcessPoolExecutor({ maxWorkers: 1 });
  });
  afterAll(() => executor.shutdown());

  test('accepts `transfer` and copies: the caller keeps its buffer', async () => {
    const memory = new ArrayBuffer(16);
    new Uint8Array(memory)[3] = 4;
    const seen = await executor.schedule((m: ArrayBuffer) => [m.byteLength, new Uint8Array(m)[3]], {
      args: [memory],
      transfer: [memory],
    });
    expect(seen).toEqual([16, 4]);
    expect(memory.byteLength).toBe(16);
  });

  test('checks the list as everywhere', () => {
    expect(() => executor.schedule(() => 1, { transfer: 'x' as never })).toThrow(TypeError);
    expect(() => executor.schedule(() => 1, { transfer: [new Float64Array(1)] as never })).toThrow(
      /Element 0 of `transfer`/,
    );
  });

  test('a MessagePort, which cannot be copied to a child, is a TypeError that says so', () => {
    // It failed with a dump of the port and advice about the structured clone algorithm.
    const { port1, port2 } = new MessageChannel();
    try {
      expect(() =>
        executor.schedule((p: unknown) => typeof p, { args: [port1], transfer: [port1] }),
      ).toThrow(
        /Element 0 of `transfer` is a MessagePort, which cannot reach a child process.*ThreadPoolExecutor/,
      );
    } finally {
      port1.close();
      port2.close();
    }
  });

  test('a result marked with transfer() is copied back', async () => {
    const out = await executor.submit(async () => {
      const { transfer } = await import('concurrent-futures');
      const bytes = new Uint8Array(8).fill(3);
      return transfer(bytes, [bytes.buffer]);
    });
    expect([...out]).toEqual([3, 3, 3, 3, 3, 3, 3, 3]);
  });

  test('Buffers stay Buffers, at the top level and nested, both ways', async () => {
    const seen = await executor.submit(
      (b: Buffer, o: { nested: Buffer }) => ({
        top: Buffer.isBuffer(b),
        nested: Buffer.isBuffer(o.nested),
        back: Buffer.from('out'),
        backNested: { b: Buffer.from('in') },
      }),
      Buffer.from('a'),
      { nested: Buffer.from('b') },
    );
    expect(seen.top).toBe(true);
    expect(seen.nested).toBe(true);
    expect(Buffer.isBuffer(seen.back)).toBe(true);
    expect(Buffer.isBuffer(seen.backNested.b)).toBe(true);
  });
});

describe('EventLoopExecutor', () => {
  test('accepts `transfer`, checks it, and passes the very same objects', async () => {
    const executor = new EventLoopExecutor();
    try {
      const memory = new ArrayBuffer(4);
      const seen = await executor.schedule((m: ArrayBuffer) => m, {
        args: [memory],
        transfer: [memory],
      });
      expect(seen).toBe(memory);
      expect(memory.byteLength).toBe(4);
      const bytes = new Uint8Array(2);
      expect(await executor.submit(() => transfer(bytes, [bytes.buffer]))).toBe(bytes);
      expect(() => executor.schedule(() => 1, { transfer: {} as never })).toThrow(TypeError);
    } finally {
      await executor.shutdown();
    }
  });
});
