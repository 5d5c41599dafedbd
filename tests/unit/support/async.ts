// Small helpers for tests that watch promises settle without depending on the clock.

/** Resolves after `count` turns of the event loop (setImmediate), so queued work gets to run. */
export async function turns(count = 1): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A promise with its resolve and reject, to hold a call open until a test lets it go. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export type Observed<T> =
  | { status: 'pending' }
  | { status: 'fulfilled'; value: T }
  | { status: 'rejected'; reason: unknown };

/** Watches a promise: `observe(p).current` tells how it stands at any moment, synchronously. */
export function observe<T>(promise: PromiseLike<T>): { readonly current: Observed<T> } {
  const box: { current: Observed<T> } = { current: { status: 'pending' } };
  promise.then(
    (value) => {
      box.current = { status: 'fulfilled', value };
    },
    (reason: unknown) => {
      box.current = { status: 'rejected', reason };
    },
  );
  return box;
}

/** Waits, turn by turn of the event loop, until `condition()` holds; fails after `maxTurns`. */
export async function until(condition: () => boolean, maxTurns = 200): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (condition()) return;
    await turns(1);
  }
  throw new Error(`condition still false after ${maxTurns} turns: ${condition.toString()}`);
}
