// The seam between the pool core and its transport: one worker as the pool sees it. A thread and
// a process differ only here: how messages travel, how a worker ends, and whether a call handed
// ahead to a worker may still be cancelled (threads: yes, until it starts; processes: no).

import type { CallableDef, FromWorker, ToWorker } from '../protocol/messages.js';
import type { Call } from './call.js';
import { defName } from './callable-registry.js';
import { Deque } from '../deque.js';
import type { TransferItem } from '../transfer.js';
import { clearTimeout, performance, setTimeout } from '../timers.js';

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What the worker reported as it died (an uncaught error, out of memory), if anything. */
  error: unknown;
}

export interface PoolWorkerEvents {
  message(worker: PoolWorker, message: FromWorker): void;
  exit(worker: PoolWorker, exit: WorkerExit): void;
}

/**
 * Where a worker is in its life. It only moves forward: working → stopping → ending → exited
 * (any step may be skipped). What its exit means follows from it: while working, a death; while
 * stopping, none unless it took unfinished calls with it; while ending, none.
 */
export type WorkerLife =
  /** Takes calls. */
  | 'working'
  /** Asked to finish and exit (shutdown, maxTasksPerChild), or its channel is gone: takes no call. */
  | 'stopping'
  /** Being ended on purpose (broken pool, terminateWorkers, a limited call past its grace). */
  | 'ending'
  | 'exited';

const LIFE_ORDER: Record<WorkerLife, number> = { working: 0, stopping: 1, ending: 2, exited: 3 };

export abstract class PoolWorker {
  /** Calls sent to this worker whose results have not come back, oldest first. */
  readonly inFlight = new Deque<Call>();
  /** Ids of the CallableDefs this worker has received. */
  readonly defined = new Set<number>();
  #nextSeq = 0;
  #tasksLeft = Infinity;
  #life: WorkerLife = 'working';
  #ready = false;
  #reported = false;
  /** The call this worker holds alone (see holdAlone). */
  #alone: Call | undefined = undefined;
  /** Armed while the call it holds alone is being ended: past it, the worker is ended. */
  #graceTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Armed once the worker is ended with SIGTERM: past it, SIGKILL. */
  #killTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** With an idleTimeout: when it last fell idle, and the timer that stops it (see fellIdle). */
  #idleSince = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined = undefined;

  /** threadId or pid: what a user can see of this worker. */
  abstract readonly id: number;

  /**
   * Sends a message; throws if a value in it cannot travel (a DataCloneError, a getter's error, a
   * stack overflow), and only then: once the channel is gone it sends nothing, and the exit event
   * accounts for the calls. A 'run' message is stamped with `first` = `nextSeq`.
   */
  // `transfer`: moved, not copied, by a thread; a process copies (its channel is a byte stream).
  abstract post(message: ToWorker, transfer?: readonly TransferItem[]): void;

  /** Readies the start flag of call `seq` before it is sent. */
  abstract prepareStart(seq: number): void;

  /** Called once `call` has been sent: a thread lets it be cancelled until it starts; a process marks it running. */
  abstract handedOver(call: Call): void;

  /** True once the worker has started call `seq`. */
  abstract hasStarted(seq: number): boolean;

  /** Stops the worker from ever starting call `seq`: false if it has started already. */
  abstract preventStart(seq: number, reclaim: boolean): boolean;

  /**
   * True once the worker has run call `seq` to its end, its result not yet received (threads: its
   * flag says so). A process cannot tell: false.
   */
  hasFinished(_seq: number): boolean {
    return false;
  }

  get life(): WorkerLife {
    return this.#life;
  }

  /** Sequence number of the next call sent to this worker. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Gives the call being handed over its sequence number here, and counts it against maxTasks. */
  numberNextCall(): number {
    this.#tasksLeft--;
    return this.#nextSeq++;
  }

  /** Calls it may still be sent before it must be replaced (maxTasksPerChild). */
  get tasksLeft(): number {
    return this.#tasksLeft;
  }

  /** Sets how many calls it may run before it is replaced (maxTasksPerChild). */
  limitTasks(count: number): void {
    this.#tasksLeft = count;
  }

  /** `count` calls it was given went elsewhere (taken back, handed back): they do not count. */
  returnTasks(count: number): void {
    this.#tasksLeft += count;
  }

  /** Its initializer has run (the worker said 'ready'): a death before that means it cannot start. */
  get ready(): boolean {
    return this.#ready;
  }

  markReady(): void {
    this.#ready = true;
  }

  /** It has sent back results or a start: a death after that is not one of its start-up. */
  get reported(): boolean {
    return this.#reported;
  }

  markReported(): void {
    this.#reported = true;
  }

  /**
   * The call it holds alone: a call whose transfer list moved to it, a process's limited call or
   * call of a function not measured fast (in a pool of several), or a limited call being ended.
   * Until that call reports back, the worker is given no other call.
   */
  get heldAlone(): Call | undefined {
    return this.#alone;
  }

  /** The worker takes no other call until `call` reports back: false if it holds another alone. */
  holdAlone(call: Call): boolean {
    if (this.#alone !== undefined && this.#alone !== call) return false;
    this.#alone = call;
    return true;
  }

  /** `call` reported back (or never travelled): the worker may take calls again. */
  release(call: Call): void {
    if (this.#alone !== call) return;
    this.#alone = undefined;
    clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
  }

  /** The call it holds alone is being ended: if it has not reported back within `ms`, `end()` runs. */
  endAfterGrace(call: Call, ms: number, end: () => void): void {
    clearTimeout(this.#graceTimer);
    this.#graceTimer = setTimeout(() => {
      this.#graceTimer = undefined;
      if (this.#alone === call) end();
    }, ms);
  }

  /** The call it holds alone will not run after all: no need to end the worker for it. */
  cancelEndAfterGrace(call: Call): void {
    if (this.#alone !== call) return;
    clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
  }

  /**
   * It fell idle (with an idleTimeout): if no call comes within `idleTimeout` ms, `timedOut()` runs
   * (the pool stops it, or keeps it for minWorkers). The clock is read once per idle spell (not per
   * call), and one timer serves every spell: it checks when it fires.
   */
  fellIdle(idleTimeout: number, timedOut: () => void): void {
    this.#idleSince = performance.now();
    if (this.#idleTimer !== undefined) return; // armed already: it checks #idleSince when it fires
    const check = (): void => {
      this.#idleTimer = undefined;
      if (this.#life !== 'working' || this.inFlight.length > 0) return; // armed again when idle
      const left = this.#idleSince + idleTimeout - performance.now();
      if (left > 0) {
        this.#idleTimer = setTimeout(check, left);
        this.#idleTimer.unref();
      } else {
        timedOut();
      }
    };
    this.#idleTimer = setTimeout(check, idleTimeout);
    this.#idleTimer.unref(); // an idle pool never keeps the process alive
  }

  /** Ends the worker on purpose (its exit is no death): SIGTERM, then SIGKILL after `graceMs`. */
  endWithGrace(graceMs: number): void {
    this.advance('ending');
    this.ref(); // its exit must be seen, so that a fresh worker can take its place
    // Ended twice (a limited call's grace, then a broken pool or terminateWorkers()): the first
    // SIGKILL deadline stands, or each new ending would put it off again.
    if (this.#killTimer !== undefined) return;
    this.end('SIGTERM');
    this.#killTimer = setTimeout(() => {
      this.#killTimer = undefined;
      if (this.#life !== 'exited') this.end('SIGKILL');
    }, graceMs);
  }

  /**
   * Its exit was seen: it moves to 'exited' and lets its timers go. True if it held alone a call
   * that had failed already: it was being ended (or exited by itself during the grace, as a call
   * that exits on abort does), which is no death.
   */
  noteExit(): boolean {
    this.advance('exited');
    clearTimeout(this.#killTimer);
    clearTimeout(this.#graceTimer);
    clearTimeout(this.#idleTimer);
    const beingEnded = this.#alone?.future.done() === true;
    this.#alone = undefined;
    return beingEnded;
  }

  /** Moves the worker on in its life; never back (a later step already taken stays). */
  advance(to: WorkerLife): void {
    if (LIFE_ORDER[to] > LIFE_ORDER[this.#life]) this.#life = to;
  }

  /**
   * Asks the worker to exit once the calls it has are done. `awaited`: something waits for its exit
   * (a shutdown(), a call queued for its place), so it is ref'd; an idle worker is unref'd, and the
   * process would end under the pending promise. A worker stopped by its idle clock is not awaited:
   * the pool refs it if that changes (a worker slow to exit must not keep an idle process alive).
   */
  stop(awaited = true): void {
    if (this.#life !== 'working') return;
    this.#life = 'stopping';
    if (awaited) this.ref();
    try {
      this.post({ t: 'stop' });
    } catch {
      // The channel is already gone: the exit event follows.
    }
  }

  /**
   * Its pool was dropped and collected: asks it to exit, but nothing awaits that exit, so it must
   * not keep the process alive. A worker still in a slow or stuck initializer would otherwise
   * hold the process for as long, depending on when the garbage collector ran.
   */
  letGo(): void {
    this.stop(false);
    this.unref(); // also a worker that was not 'working' any more
  }

  /** Sequence number of the next result the pool expects from this worker (acknowledged on each 'run'). */
  #answered = 0;
  /** Waiting for results sent again (see resend()): batches that arrive meanwhile are duplicates. */
  #resending = false;

  /**
   * A message from the worker could not be read back here (a value that serialises but cannot be
   * deserialised). The worker is asked to send the results from the first one missing again, one
   * per message, so that only the value that cannot be read fails its call (see messages.ts).
   */
  protected resend(): void {
    if (this.#resending || this.life === 'exited') return; // while resending, a lost one fails alone
    this.#resending = true;
    this.#postQuietly({ t: 'resend', from: this.#answered });
  }

  /** A message that arrived from the worker: the pool's, or the transport's own. */
  protected deliver(events: PoolWorkerEvents, message: FromWorker): void {
    if (message.t === 'done') {
      if (this.#resending) {
        if (message.resent !== true) return; // its results are sent again, one by one
        if (message.end === true) this.#resending = false;
      }
      const count = message.results.length / 2;
      if (message.first < this.#answered) {
        // Sent again as the worker exits (see WorkerRuntime.flushResults): keep what is new.
        const skip = Math.min(this.#answered - message.first, count);
        if (skip === count && message.end !== true) return;
        message = {
          ...message,
          first: message.first + skip,
          results: message.results.slice(2 * skip),
        };
      }
      const next = message.first + message.results.length / 2;
      if (next > this.#answered) this.#answered = next;
    } else if (message.t === 'lost') {
      this.#sendAgain(message.from);
      return;
    }
    events.message(this, message);
  }

  /** The worker could not read calls from `from` on: send each again alone, then 'resent-end'. */
  #sendAgain(from: number): void {
    const again: Call[] = [];
    const defs = new Map<number, CallableDef>();
    for (const call of this.inFlight) {
      // A stand-in for a call taken back goes too, without arguments: the worker must account for
      // its place in the sequence, and skips it (its start flag says it was taken back).
      if (call.seq < from) continue;
      again.push(call);
      defs.set(call.def.id, call.def);
    }
    // The definitions of their functions may have travelled in the lost message: they go again
    // first, on their own (plain strings, always readable), so a call lost again cannot take the
    // definition that later calls need with it.
    this.#postQuietly({ t: 'run', first: from, defs: [...defs.values()], calls: [], resent: true });
    for (const call of again) {
      // A call whose transfer list moved with the lost message cannot be sent again (its buffers
      // are detached here): it fails now, and goes as a stand-in that the worker skips (its start
      // flag is reclaimed), keeping its place in the sequence.
      const unsendable = call.transfer !== undefined && this.preventStart(call.seq, true);
      if (unsendable && !call.future.done()) {
        call.future.setException(
          new TypeError(
            `The arguments of ${defName(call.def)} could not be read back in the worker, and its transfer list moved with them, so it cannot be sent again. Pass only values the structured clone algorithm supports.`,
          ),
        );
      }
      this.#postQuietly({
        t: 'run',
        first: call.seq,
        defs: undefined,
        calls: [call.chunk ? -call.def.id - 1 : call.def.id, unsendable ? [] : call.payload],
        resent: true,
      });
    }
    this.#postQuietly({ t: 'resent-end' });
  }

  /** Stamps a 'run' message with what the pool has received, for the worker to forget. */
  protected stampAck(message: ToWorker): void {
    if (message.t === 'run') {
      message.first ??= this.#nextSeq;
      message.ack = this.#answered;
    }
  }

  #postQuietly(message: ToWorker): void {
    try {
      this.post(message);
    } catch {
      // It travelled once, so it can again; or the channel is gone, and the exit accounts for it.
    }
  }

  /** Ends the worker now (thread: terminate; process: a signal). Its exit then is no death. */
  abstract end(signal?: NodeJS.Signals): void;

  /** Keep the parent's event loop alive while this worker has work; let it go when idle. */
  abstract ref(): void;
  abstract unref(): void;
}
