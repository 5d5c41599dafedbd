// The entry of every worker thread: wires the worker runtime to the thread's MessagePort and to
// the start flags it shares with the pool.

import { parentPort, workerData } from 'node:worker_threads';
import {
  START_FLAG_SLOTS,
  StartFlag,
  type ToWorker,
  type WorkerInit,
} from '../protocol/messages.js';
import { WorkerRuntime } from './runtime.js';

const init = (workerData as { init: WorkerInit }).init;
const port = parentPort!;
const startFlags = new Int32Array(init.startFlags!);
const slotMask = START_FLAG_SLOTS - 1;

const runtime = new WorkerRuntime(
  {
    send: (message) => port.postMessage(message),
    clonable: (value) => {
      try {
        structuredClone(value);
        return true;
      } catch {
        return false;
      }
    },
    // Whichever side moves the flag off Queued first wins: the pool to cancel, or we to start.
    claimStart: (seq) =>
      Atomics.compareExchange(startFlags, seq & slotMask, StartFlag.Queued, StartFlag.Started) ===
      StartFlag.Queued,
    exit: () => process.exit(0),
  },
  init,
);

port.on('message', (message: ToWorker) => runtime.receive(message));

// A worker that dies (process.exit() in a call, an uncaught error) still runs 'exit' listeners, and
// what they post arrives before the pool sees the exit: send the results of the calls that finished
// before the fatal one, or the pool would fail them along with it.
process.on('exit', () => {
  try {
    runtime.flushResults();
  } catch {
    // The port is closing: nothing more can be sent.
  }
});
