// One worker thread as the pool sees it. Calls handed ahead stay cancellable until the thread
// starts them: each has a start flag in a SharedArrayBuffer that either side claims with
// Atomics.compareExchange, and whichever comes first wins (see StartFlag in the protocol).

import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { CallableDef, FromWorker, ToWorker, WorkerInit } from '../protocol/messages.js';
import { START_FLAG_SLOTS, StartFlag } from '../protocol/messages.js';
import type { Call } from '../pool/call.js';
import { setRemoteStart } from '../future.js';
import { PoolWorker, type PoolWorkerEvents } from '../pool/pool-worker.js';

const ENTRY = new URL('../worker/thread-entry.js', import.meta.url);
const SLOT_MASK = START_FLAG_SLOTS - 1;

export interface ThreadWorkerOptions {
  name: string;
  resourceLimits: ResourceLimits | undefined;
}

export class ThreadWorker extends PoolWorker {
  readonly id: number;
  readonly #worker: Worker;
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
    const init: WorkerInit = {
      initializer,
      initargs,
      startFlags: this.#flags.buffer as SharedArrayBuffer,
    };
    this.#worker = new Worker(ENTRY, {
      workerData: { init },
      name: options.name,
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    });
    this.id = this.#worker.threadId;
    this.#worker.on('message', (message: FromWorker) => events.message(this, message));
    this.#worker.on('error', (error) => {
      this.#error = error;
    });
    this.#worker.on('exit', (code) =>
      events.exit(this, { code, signal: null, error: this.#error }),
    );
  }

  post(message: ToWorker): void {
    this.#worker.postMessage(message);
  }

  prepareStart(seq: number): void {
    Atomics.store(this.#flags, seq & SLOT_MASK, StartFlag.Queued);
  }

  handedOver(call: Call): void {
    setRemoteStart(call.future, call);
  }

  hasStarted(seq: number): boolean {
    return Atomics.load(this.#flags, seq & SLOT_MASK) === StartFlag.Started;
  }

  preventStart(seq: number, reclaim: boolean): boolean {
    const before = Atomics.compareExchange(
      this.#flags,
      seq & SLOT_MASK,
      StartFlag.Queued,
      reclaim ? StartFlag.Reclaimed : StartFlag.Cancelled,
    );
    return before !== StartFlag.Started;
  }

  end(): void {
    this.advance('ending');
    void this.#worker.terminate();
  }

  ref(): void {
    this.#worker.ref();
  }

  unref(): void {
    this.#worker.unref();
  }
}
