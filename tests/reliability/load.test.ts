// Load: a million calls through a buffered map keep the parent's memory bounded; 100,000 futures
// cancelled at once never run and their memory comes back; a 100 MB ArrayBuffer travels both ways.
// Memory bounds are generous (a leak grows without bound; these catch that, not a few MB); what
// was measured is printed, so a run shows the numbers. The memory rows run in a plain `node`
// parent (fixtures/): inside Jest, modules run in a vm context whose slow global lookups and own
// bookkeeping would distort both the time and the heap.

import { join } from 'node:path';
import {
  HERE,
  KINDS,
  MB,
  cleanUpAfterEach,
  makePool,
  runNode,
  scratchDir,
  withTimeout,
} from './support.js';

cleanUpAfterEach();

function report(what: string, numbers: Record<string, number>): void {
  const shown = Object.entries(numbers)
    .map(([key, value]) => `${key} ${Math.round(value * 10) / 10}`)
    .join(', ');
  console.log(`${what}: ${shown}`);
}

describe('1,000,000 calls through map() with buffersize', () => {
  test.each([
    // The thread pool sends one call per item; the process pool in chunks (buffersize counts them).
    ['thread', { buffersize: 4096, chunksize: 1 }],
    ['process', { buffersize: 16, chunksize: 256 }],
  ] as const)(
    '%s pool: the parent’s memory stays bounded (peak RSS growth < 300 MB)',
    async (kind, options) => {
      // In a plain `node` parent (see the fixture for why not inside Jest).
      const run = runNode([
        join(HERE, 'fixtures', 'map-million.mjs'),
        kind,
        JSON.stringify(options),
      ]);
      const printed = JSON.parse(await run.line(/"count"/, 100_000)) as {
        count: number;
        sum: number;
        seconds: number;
        before: number;
        peak: number;
      };
      report(`${kind} pool, 1,000,000 calls through map(${JSON.stringify(options)})`, {
        seconds: printed.seconds,
        'RSS before MB': printed.before / MB,
        'peak RSS MB': printed.peak / MB,
        'growth MB': (printed.peak - printed.before) / MB,
      });
      expect(printed.count).toBe(1_000_000);
      expect(printed.sum).toBe((1_000_000 * 1_000_001) / 2);
      expect((printed.peak - printed.before) / MB).toBeLessThan(300);
    },
    120_000,
  );
});

describe.each(KINDS)('%s pool', (kind) => {
  test('100,000 futures submitted then cancelled: all cancelled at once, none runs, memory returns', async () => {
    // In a plain `node` parent (see the fixture for why not inside Jest).
    const log = join(scratchDir(), 'runs.log');
    const run = runNode([join(HERE, 'fixtures', 'cancel-many.mjs'), kind, log]);
    const printed = JSON.parse(await run.line(/"cancelledAtOnce"/, 50_000)) as Record<
      string,
      number | boolean
    >;
    const { before, withThem, after, ...outcome } = printed as Record<string, number>;
    report(`${kind} pool, 100,000 futures cancelled`, {
      'heap before MB': before! / MB,
      'heap with them MB': withThem! / MB,
      'heap after MB': after! / MB,
    });
    expect(outcome).toEqual({
      cancelledAtOnce: 100_000,
      callbacks: 100_000,
      allDone: true,
      stillWorks: 42,
      cancelledByShutdown: 100_000,
      ran: 0,
    });
    // 100,000 futures take ~25 MB here; what stays after they are gone is the queue's grown ring.
    expect((withThem! - before!) / MB).toBeGreaterThan(10);
    expect((after! - before!) / MB).toBeLessThan(8);
  }, 60_000);

  test('a 100 MB ArrayBuffer argument and result round-trip intact', async () => {
    const executor = makePool(kind, { maxWorkers: 1 });
    const size = 100 * MB;
    const input = new ArrayBuffer(size);
    const words = new Uint32Array(input);
    // Globals are slow inside Jest's vm context: the hot loops use a local imul.
    const imul = Math.imul;
    for (let i = 0; i < words.length; i++) words[i] = imul(i, 2654435761) >>> 0;

    // In the worker: check every word, and send back a new 100 MB buffer of the complements.
    const roundTrip = (
      buffer: ArrayBuffer,
    ): { output: ArrayBuffer; bad: number; bytes: number } => {
      const seen = new Uint32Array(buffer);
      const output = new ArrayBuffer(buffer.byteLength);
      const out = new Uint32Array(output);
      let bad = 0;
      for (let i = 0; i < seen.length; i++) {
        if (seen[i] !== Math.imul(i, 2654435761) >>> 0) bad++;
        out[i] = ~seen[i]! >>> 0;
      }
      return { output, bad, bytes: buffer.byteLength };
    };
    const started = performance.now();
    const result = await withTimeout(
      executor.submit(roundTrip, input),
      50_000,
      'the 100 MB round trip',
    );
    report(`${kind} pool, 100 MB each way`, { seconds: (performance.now() - started) / 1000 });
    // Primitives only in expect(): a failing expect() would print the 100 MB values.
    const back = new Uint32Array(result.output);
    let bad = 0;
    for (let i = 0; i < back.length; i++) {
      if (back[i] !== ~(imul(i, 2654435761) >>> 0) >>> 0) bad++;
    }
    expect({
      bytes: result.bytes,
      badInWorker: result.bad,
      type: Object.prototype.toString.call(result.output),
      outputBytes: result.output.byteLength,
      badBack: bad,
    }).toEqual({
      bytes: size,
      badInWorker: 0,
      type: '[object ArrayBuffer]',
      outputBytes: size,
      badBack: 0,
    });
    // The argument was copied, not moved: the caller's buffer is intact.
    expect(input.byteLength).toBe(size);
    await withTimeout(executor.shutdown(), 20_000, 'shutdown()');
  }, 60_000);
});
