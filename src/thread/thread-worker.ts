// One worker thread as the pool sees it. Calls handed ahead stay cancellable until the thread
// starts them: each has a start flag in a SharedArrayBuffer that either side claims with
// Atomics.compareExchange, and whichever comes first wins (see StartFlag in the protocol).
//
// Messages travel on a MessageChannel of the pool's own (see thread-entry.ts), never on the
// Worker's parentPort, which code in a call can post on or deafen. A call can still reach that
// channel's port through a private API (process._getActiveHandles()): what the thread sends comes
// in an envelope with a key only the thread's runtime holds, and anything else is ignored, so a
// forged result never settles another call's future.

import { MessageChannel, Worker, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import type { CallableDef, FromWorker, ToWorker, WorkerInit } from '../protocol/messages.js';
import { START_FLAG_SLOTS, StartFlag } from '../protocol/messages.js';
import type { Call } from '../pool/call.js';
import { setRemoteStart } from '../future.js';
import { PoolWorker, type PoolWorkerEvents } from '../pool/pool-worker.js';
import { findBufferArgs, restoreBufferResults } from '../protocol/buffers.js';
import { newFrameKey } from '../protocol/frames.js';
import type { TransferItem } from '../transfer.js';
import { defaultWorkerStartup, threadEnv } from '../process/exec-argv.js';
import { workerEntry } from '../pool/worker-entry.js';

// The thread's entry bundled into one CommonJS file (scripts/build.mjs), as for a child process.
export const ENTRY = workerEntry('../cjs/worker/thread-entry.js', import.meta.url);
const SLOT_MASK = START_FLAG_SLOTS - 1;

export interface ThreadWorkerOptions {
  name: string;
  resourceLimits: ResourceLimits | undefined;
}

export class ThreadWorker extends PoolWorker {
  readonly id: number;
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #flags: Int32Array;
  #error: unknown = undefined;

  constructor(
    initializer: CallableDef | undefined,
    initargs: unknown[],
    options: ThreadWorkerOptions,
    events: PoolWorkerEvents,
  ) {
    super();
    this.#flags = new Int32Array(
      new SharedArrayBuffer(START_FLAG_SLOTS * Int32Array.BYTES_PER_ELEMENT),
    );
    const key = newFrameKey();
    const init: WorkerInit = {
      initializer,
      initargs,
      startFlags: this.#flags.buffer as SharedArrayBuffer,
      frameKey: key,
      ...(options.resourceLimits === undefined ? {} : { sendBeforeEachCall: true as const }),
    };
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    // Without the parent's main-entry flags and TypeScript loader (applied lazily: exec-argv.ts).
    const startup = defaultWorkerStartup();
    const env = threadEnv(startup);
    this.#worker = new Worker(ENTRY!, {
      workerData: { init, port: port2, loaders: startup.loaders },
      transferList: [port2],
      ...(startup.changed ? { execArgv: startup.execArgv } : {}),
      ...(env === undefined ? {} : { env }),
      name: options.name,
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    });
    this.id = this.#worker.threadId;
    port1.on('message', (envelope: unknown) => {
      if (!Array.isArray(envelope) || envelope[0] !== key[0] || envelope[1] !== key[1]) return;
      const message = envelope[2] as FromWorker;
      if (message.t === 'done' && message.buffers !== undefined)
        restoreBufferResults(message.results, message.buffers);
      this.deliver(events, message);
    });
    // A result that cannot be read back here: only its own calls fail (see resync()).
    port1.on('messageerror', () => this.resend());
    this.#worker.on('error', (error) => {
      this.#error = error;
    });
    // The exit is reported once the worker has exited AND its port has closed: results it posted
    // just before dying (even out of memory) are still queued on this side until 'close', and must
    // settle their calls before the exit fails whatever is left.
    let exitCode: number | undefined;
    let portClosed = false;
    const reportExit = (): void => {
      if (exitCode === undefined || !portClosed) return;
      events.exit(this, { code: exitCode, signal: null, error: this.#error });
    };
    port1.once('close', () => {
      portClosed = true;
      reportExit();
    });
    this.#worker.on('exit', (code) => {
      exitCode = code;
      this.#port.ref(); // its 'close' must still be seen
      reportExit();
    });
  }

  post(message: ToWorker, transfer?: readonly TransferItem[]): void {
    this.stampAck(message);
    if (message.t === 'run') {
      // Set only when there are Buffers: an undefined key would still be cloned with every message.
      const buffers = findBufferArgs(message.calls);
      if (buffers !== undefined) message.buffers = buffers;
    }
    if (transfer === undefined) this.#port.postMessage(message);
    else this.#port.postMessage(message, transfer as TransferItem[]);
  }

  prepareStart(seq: number): void {
    Atomics.store(this.#flags, seq & SLOT_MASK, StartFlag.Queued);
  }

  handedOver(call: Call): void {
    setRemoteStart(call.future, call);
  }

  hasStarted(seq: number): boolean {
    const flag = Atomics.load(this.#flags, seq & SLOT_MASK);
    return flag === StartFlag.Started || flag === StartFlag.Finished;
  }

  override hasFinished(seq: number): boolean {
    return Atomics.load(this.#flags, seq & SLOT_MASK) === StartFlag.Finished;
  }

  preventStart(seq: number, reclaim: boolean): boolean {
    const before = Atomics.compareExchange(
      this.#flags,
      seq & SLOT_MASK,
      StartFlag.Queued,
      reclaim ? StartFlag.Reclaimed : StartFlag.Cancelled,
    );
    return before !== StartFlag.Started && before !== StartFlag.Finished;
  }

  end(): void {
    this.advance('ending');
    void this.#worker.terminate();
  }

  // Called at every batch sent and every worker falling idle: only a change reaches Node (a port's
  // ref() and unref() are calls into C++ that cost as much as a small message).
  #refed = true;

  ref(): void {
    if (this.#refed) return;
    this.#refed = true;
    this.#worker.ref();
    this.#port.ref();
  }

  unref(): void {
    if (!this.#refed) return;
    this.#refed = false;
    this.#worker.unref();
    this.#port.unref();
  }
}
