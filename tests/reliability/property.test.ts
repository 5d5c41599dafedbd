// Property: whatever mix of good calls and calls whose argument, result or thrown value cannot
// travel is submitted, on either pool, every future settles exactly once, with its own outcome,
// and shutdown() completes. fast-check draws the mixes (and shrinks a failing one to the least).

import fc from 'fast-check';
import { KINDS, makePool, cleanUpAfterEach, withTimeout } from './support.js';

cleanUpAfterEach();

/** What a call is given, and so what it must end with. */
type Kind =
  | 'good' // returns `good <n>`
  | 'throws' // throws a RangeError `bad <n>`
  | 'unreadable-result' // returns an Error whose cause is itself
  | 'unreadable-thrown' // throws an Error whose cause is itself
  | 'unreadable-argument' // gets an Error whose cause is itself as its argument
  | 'unclonable-result' // returns a function
  | 'throwing-getter-argument' // gets an object whose getter throws
  | 'proxy-thrown'; // throws a Proxy whose traps throw

const KIND_NAMES: Kind[] = [
  'good',
  'throws',
  'unreadable-result',
  'unreadable-thrown',
  'unreadable-argument',
  'unclonable-result',
  'throwing-getter-argument',
  'proxy-thrown',
];

// Travels by source: self-contained.
function mixed(kind: string, n: number, _extra?: unknown): unknown {
  const selfCause = (message: string): Error => {
    const error = new Error(message) as Error & { cause?: unknown };
    error.cause = error;
    return error;
  };
  if (kind === 'good' || kind === 'unreadable-argument' || kind === 'throwing-getter-argument')
    return `good ${n}`;
  if (kind === 'throws') throw new RangeError(`bad ${n}`);
  if (kind === 'unreadable-result') return selfCause(`result ${n}`);
  if (kind === 'unreadable-thrown') throw selfCause(`thrown ${n}`);
  if (kind === 'unclonable-result') return () => n;
  if (kind === 'proxy-thrown') {
    throw new Proxy(
      {},
      {
        get(): never {
          throw new Error('trap');
        },
      },
    );
  }
  return undefined;
}

function extraArgument(kind: Kind): unknown {
  if (kind === 'unreadable-argument') {
    const error = new Error('argument') as Error & { cause?: unknown };
    error.cause = error;
    return error;
  }
  if (kind === 'throwing-getter-argument') {
    return {
      get boom(): never {
        throw new Error('getter');
      },
    };
  }
  return undefined;
}

/** Checks an outcome against what its call must give: `null` if right, else what is wrong. */
function wrongness(kind: Kind, n: number, outcome: ['ok' | 'error', unknown]): string | null {
  const [status, value] = outcome;
  const message = status === 'error' ? String((value as Error)?.message ?? value) : '';
  const expectOk = kind === 'good';
  if (expectOk) return status === 'ok' && value === `good ${n}` ? null : `expected good ${n}`;
  if (status !== 'error') return `expected an error, got ${String(value)}`;
  if (kind === 'throws') return message === `bad ${n}` ? null : `expected bad ${n}, got ${message}`;
  if (kind === 'unreadable-result')
    // Read back as part of a batch: lost and sent again; refused with a neighbour: refused.
    return /could not be (read|sent) back.*(Error whose cause is itself|deserialize)/s.test(message)
      ? null
      : message;
  if (kind === 'unreadable-thrown') return message === `thrown ${n}` ? null : message;
  if (kind === 'unreadable-argument')
    return /arguments of this call could not be read back/.test(message) ? null : message;
  if (kind === 'unclonable-result') return /could not be sent back/.test(message) ? null : message;
  if (kind === 'throwing-getter-argument')
    return /could not be sent to a worker/.test(message) ? null : message;
  return null; // proxy-thrown: any error (a described stand-in)
}

describe.each(KINDS)('%s pool', (kind) => {
  test('random mixes of calls that can and cannot travel: each future settles once, with its own outcome', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...KIND_NAMES), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 3 }),
        async (kinds, maxWorkers) => {
          const pool = makePool(kind, { maxWorkers });
          const settled = new Array<number>(kinds.length).fill(0);
          const futures = kinds.map((callKind, n) => {
            const future = pool.submit(mixed, callKind, n, extraArgument(callKind));
            future.addDoneCallback(() => settled[n]!++);
            return future;
          });
          const outcomes = await withTimeout(
            Promise.all(
              futures.map((future) =>
                future.result().then(
                  (value): ['ok', unknown] => ['ok', value],
                  (error: unknown): ['error', unknown] => ['error', error],
                ),
              ),
            ),
            30_000,
            `the futures of ${JSON.stringify(kinds)}`,
          );
          await withTimeout(pool.shutdown(), 30_000, 'shutdown()');
          const wrong = kinds
            .map((callKind, n) => [n, callKind, wrongness(callKind, n, outcomes[n]!)] as const)
            .filter(([, , why]) => why !== null);
          expect(wrong).toEqual([]);
          expect(settled).toEqual(kinds.map(() => 1));
        },
      ),
      { numRuns: kind === 'thread' ? 60 : 30 },
    );
  }, 300_000);
});

// In map() with chunks, a chunk is one future: what its items give must still come out item by
// item, in order, up to the first that fails (whose own error is thrown). Arguments travel per
// chunk, so only results and thrown values vary here.
const MAP_KINDS: Kind[] = [
  'good',
  'good',
  'throws',
  'unreadable-result',
  'unreadable-thrown',
  'unclonable-result',
  'proxy-thrown',
];

describe.each(KINDS)('%s pool, map() in chunks', (kind) => {
  test("yields each item's own result up to the first failing one, then its own error", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...MAP_KINDS), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 2 }),
        async (kinds, chunksize, maxWorkers) => {
          const pool = makePool(kind, { maxWorkers });
          const indices = kinds.map((_, n) => n);
          const seen: unknown[] = [];
          let failure: unknown = undefined;
          let failed = false;
          await withTimeout(
            (async () => {
              try {
                for await (const value of pool.map(
                  mixed as (k: string, n: number) => unknown,
                  kinds,
                  indices,
                  {
                    chunksize,
                  },
                ))
                  seen.push(value);
              } catch (error) {
                failure = error;
                failed = true;
              }
            })(),
            30_000,
            `map over ${JSON.stringify(kinds)}`,
          );
          await withTimeout(pool.shutdown(), 30_000, 'shutdown()');
          const firstBad = kinds.findIndex((callKind) => callKind !== 'good');
          const goods = firstBad === -1 ? kinds.length : firstBad;
          expect(seen).toEqual(indices.slice(0, goods).map((n) => `good ${n}`));
          expect(failed).toBe(firstBad !== -1);
          if (firstBad !== -1)
            expect(wrongness(kinds[firstBad]!, firstBad, ['error', failure])).toBeNull();
        },
      ),
      { numRuns: kind === 'thread' ? 40 : 20 },
    );
  }, 300_000);
});
