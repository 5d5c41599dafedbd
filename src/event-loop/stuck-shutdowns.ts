// shutdown() waits that can never end, ended with an error instead of a silent exit.
//
// A call of an EventLoopExecutor that awaits its own executor's shutdown() waits for itself: the
// shutdown waits for the call, the call for the shutdown (Python raises in the same case, when a
// worker thread joins itself). The executor sees it at once in the call's synchronous part. After the
// call's first await, code inside the call cannot be told from code outside it without running every
// call in an AsyncLocalStorage, whose promise hooks slow every await in the process ~2.5x on Node 20
// (the Rulings refuse that tax for currentSignal() too). What can be seen is the outcome: the process
// runs out of work ('beforeExit') while a shutdown() still waits for running calls. Nothing can
// settle those calls any more (no timer, no I/O is left), so without this the process would exit
// with the call and the shutdown both pending and nothing said. Then the newest waiting shutdown()
// rejects with an error that says what happened: in the deadlock above that is the call's own
// await, which frees it. One wait per 'beforeExit', so that a call freed this way can still finish
// and let the older waits resolve normally; and only when the process runs out of work twice with
// no call over in between (see onOutOfWork).
//
// A server whose event loop never runs out of work never emits 'beforeExit': there the deadlock
// after an await stays a hang (docs/api.md says so).

import { setImmediate } from '../timers.js';

/** What a shutdown() waits for: its calls, and whether the executor's initializer still runs. */
export interface WaitedFor {
  /** E.g. "3 calls", "the initializer (and 1 call behind it)". */
  what: string;
  initializerRunning: boolean;
  /** Calls not started yet: slots are all held by running calls. */
  queued: number;
}

/** The shutdown() waits of one executor that are still pending. */
export class ShutdownWaits {
  readonly #pending: Array<(error: Error) => void> = [];
  readonly #describe: () => WaitedFor;

  /** `describe()` names what the waits are for, for the error (e.g. "3 calls"). */
  constructor(describe: () => WaitedFor) {
    this.#describe = describe;
  }

  /**
   * A promise that settles as `terminated` does, or rejects if the process runs out of work first.
   * A rejection nobody awaits is not reported as unhandled: a shutdown() called without await had
   * nothing to be told.
   */
  wait(terminated: Promise<void>): Promise<void> {
    const waiting = new Promise<void>((resolve, reject) => {
      const end = (error: Error): void => reject(error);
      this.#pending.push(end);
      watch(this);
      const settle = (): void => {
        this.#forget(end);
        resolve();
      };
      terminated.then(settle, (error: unknown) => {
        this.#forget(end);
        reject(error);
      });
    });
    waiting.catch(ignore);
    return waiting;
  }

  /** The process ran out of work: the newest wait rejects. Returns whether there was one. */
  endNewest(): boolean {
    const end = this.#pending.pop();
    if (end === undefined) return false;
    if (this.#pending.length === 0) unwatch(this);
    const { what, initializerRunning, queued } = this.#describe();
    end(
      new Error(
        `shutdown() was waiting for ${what} of this EventLoopExecutor that can never finish: ` +
          'the process has nothing else left to do. ' +
          (initializerRunning
            ? 'Its initializer awaits a promise that nothing will settle, and no call starts before it ends: ' +
              'make sure every promise the initializer awaits settles (a timeout, a signal).'
            : queued > 0
              ? `${queued === 1 ? '1 of them is' : `${queued} of them are`} queued behind running calls that ` +
                'hold every slot: most likely a running call awaits a call of this same executor, which waits ' +
                'for a slot only the running call can free (Python deadlocks the same way). Raise maxWorkers, ' +
                'or run the inner call on another executor. A call that awaits shutdown() of its own executor ' +
                'waits for itself the same way: inside a call, use shutdown({ wait: false }).'
              : 'Most likely a call awaits shutdown() of its own executor, which waits for that very call: ' +
                'inside a call, use shutdown({ wait: false }) and await shutdown() from outside the executor. ' +
                'Otherwise a running call awaits a promise that nothing will settle.'),
      ),
    );
    return true;
  }

  #forget(end: (error: Error) => void): void {
    const at = this.#pending.indexOf(end);
    if (at < 0) return;
    this.#pending.splice(at, 1);
    if (this.#pending.length === 0) unwatch(this);
  }
}

// Executors with pending waits, and the one 'beforeExit' listener, there only while some wait is.
const watched = new Set<ShutdownWaits>();

function watch(waits: ShutdownWaits): void {
  if (watched.size === 0) process.on('beforeExit', onOutOfWork);
  watched.add(waits);
}

function unwatch(waits: ShutdownWaits): void {
  if (!watched.delete(waits) || watched.size > 0) return;
  process.off('beforeExit', onOutOfWork);
  callsOverWhenOutOfWork = undefined;
}

// Calls of every EventLoopExecutor that are over, and their count when the process last ran out of
// work with a wait pending (undefined: not since the last decision, or no wait pending).
let callsOver = 0;
let callsOverWhenOutOfWork: number | undefined;

/** An executor's call is over: progress, which gives a pending wait another turn. */
export function noteCallOver(): void {
  callsOver++;
}

/**
 * Not decided the first time the process runs out of work: the application's own 'beforeExit'
 * listeners (a logger's flush, say) run in the same emission and may schedule the very work a call
 * awaits. One more turn is given (an immediate keeps the process alive); only if the process runs
 * out of work again with no call over meanwhile is a wait declared stuck.
 */
function onOutOfWork(): void {
  if (callsOverWhenOutOfWork !== callsOver) {
    callsOverWhenOutOfWork = callsOver;
    setImmediate(ignore);
    return;
  }
  callsOverWhenOutOfWork = undefined;
  // Only one: what it frees may let the others resolve by themselves.
  for (const waits of [...watched].reverse()) if (waits.endNewest()) return;
}

function ignore(): void {}
