// The signals of limited calls, one 'abort' listener per signal however many calls share it.
//
// A listener per call went wrong as soon as a batch shared one AbortController (the usual way to
// stop a whole batch): past 10 listeners Node prints a MaxListenersExceededWarning about a leak,
// and removing a listener searches the signal's list, so N calls cost O(N²) (270 µs per call at
// 100,000). Here a signal gets one listener while it has calls waiting on it, and each call is
// an entry in a Set: O(1) to add and to remove.

export class SignalWatch<T> {
  readonly #watched = new Map<AbortSignal, { calls: Set<T>; listener: () => void }>();
  readonly #onAbort: (call: T, reason: unknown) => void;

  /** `onAbort(call, reason)` runs for every call still watched when its signal aborts. */
  constructor(onAbort: (call: T, reason: unknown) => void) {
    this.#onAbort = onAbort;
  }

  watch(signal: AbortSignal, call: T): void {
    if (signal.aborted) {
      // Aborted after the executor looked (a getter of the submitted function can run between):
      // no abort event will come.
      this.#onAbort(call, reasonOf(signal));
      return;
    }
    let entry = this.#watched.get(signal);
    if (entry === undefined) {
      const calls = new Set<T>();
      const listener = (): void => {
        // A copy: ending a call unwatches it, and may start or settle others.
        const reason = reasonOf(signal);
        for (const aborted of [...calls]) this.#onAbort(aborted, reason);
      };
      // Listening first: a signal whose addEventListener throws is not left watched but deaf.
      signal.addEventListener('abort', listener, { once: true });
      entry = { calls, listener };
      this.#watched.set(signal, entry);
    }
    entry.calls.add(call);
  }

  /** The call is over: it no longer listens. The last call of a signal removes its listener. */
  unwatch(signal: AbortSignal, call: T): void {
    const entry = this.#watched.get(signal);
    if (entry === undefined || !entry.calls.delete(call) || entry.calls.size > 0) return;
    this.#watched.delete(signal);
    signal.removeEventListener('abort', entry.listener);
  }
}

/**
 * The signal's reason, read once for all its calls. A `reason` getter that throws (a signal made
 * by hand, or a subclass) would throw out of the abort event, where Node rethrows it and the process
 * ends: its error is the reason instead, and the calls fail with it.
 */
export function reasonOf(signal: AbortSignal): unknown {
  try {
    return signal.reason;
  } catch (error) {
    return error;
  }
}
