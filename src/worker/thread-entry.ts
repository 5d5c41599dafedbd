// The entry of every worker thread: wires the worker runtime to the pool's own MessagePort and to
// the start flags it shares with the pool.
//
// The pool's port is not `parentPort`: it is a port of a MessageChannel of its own, transferred in
// workerData and taken out of it here, so no code run in a call can reach it. A call may post on
// parentPort, or remove every listener there, and the pool neither hears it nor goes deaf.

import { workerData, type MessagePort } from 'node:worker_threads';
import {
  START_FLAG_SLOTS,
  StartFlag,
  type ToWorker,
  type WorkerInit,
} from '../protocol/messages.js';
import { WorkerRuntime } from './runtime.js';

const data = workerData as { init: WorkerInit; port?: MessagePort };
const init = data.init;
const port = data.port!;
delete data.port;
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
// A message from the pool that cannot be read back here (an argument that serialises but cannot be
// deserialised): the runtime asks the pool which calls it missed, and fails them alone.
port.on('messageerror', () => runtime.lost());

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
