// The entry of every worker thread: wires the worker runtime to the pool's own MessagePort and to
// the start flags it shares with the pool.
//
// The pool's port is not `parentPort`: it is a port of a MessageChannel of its own, transferred in
// workerData and taken out of it here, so no code run in a call can reach it. A call may post on
// parentPort, or remove every listener there, and the pool neither hears it nor goes deaf.

import { MessagePort, workerData } from 'node:worker_threads';
import {
  AtomicsCompareExchange,
  AtomicsStore,
  ReflectApply,
  SafeSet,
  exitWorker,
  failWorker,
  own,
  structuredCloneValue,
} from './intrinsics.js';
import {
  START_FLAG_SLOTS,
  StartFlag,
  type ToWorker,
  type WorkerInit,
} from '../protocol/messages.js';
import { WorkerRuntime } from './runtime.js';
import { findBufferResults, restoreBufferArgs } from '../protocol/buffers.js';
import { Status, type RunMessage } from '../protocol/messages.js';
import { takeTransferList, transfersPending, type TransferItem } from '../transfer.js';

const data = workerData as { init: WorkerInit; port?: MessagePort };
const init = data.init;
const port = data.port!;
delete data.port;
// The key of our envelopes (see thread-worker.ts), taken out of workerData like the port: a call
// that reaches the port some other way still cannot post what the pool reads.
const [key0, key1] = init.frameKey!;
delete (init as { frameKey?: unknown }).frameKey;
const startFlagsBuffer = init.startFlags!;
const startFlags = new Int32Array(startFlagsBuffer);
// Out of a call's reach too: a call that wrote "cancelled" into them made its worker skip calls.
delete (init as { startFlags?: unknown }).startFlags;
const slotMask = START_FLAG_SLOTS - 1;
// Taken before any call runs, as intrinsics.ts does: a call may replace MessagePort.prototype.postMessage.
const portPostMessage = MessagePort.prototype.postMessage;
const post = (message: unknown, transfer?: unknown[]): void => {
  const envelope = [key0, key1, message];
  ReflectApply(portPostMessage, port, transfer === undefined ? [envelope] : [envelope, transfer]);
};

const runtime = new WorkerRuntime(
  {
    send: (message) => {
      if (message.t !== 'done') return post(message);
      const buffers = findBufferResults(message.results);
      // A copy with the key, not an assignment (a setter a call put on Object.prototype would run
      // instead); and no key at all without buffers: an undefined key would be cloned too.
      const sent = buffers === undefined ? message : { ...message, buffers };
      const transfer = transfersPending() ? resultTransfers(message.results) : undefined;
      post(sent, transfer);
    },
    clonable: (value) => {
      try {
        structuredCloneValue(value);
        return true;
      } catch {
        return false;
      }
    },
    // Whichever side moves the flag off Queued first wins: the pool to cancel, or we to start.
    claimStart: (seq) =>
      AtomicsCompareExchange(startFlags, seq & slotMask, StartFlag.Queued, StartFlag.Started) ===
      StartFlag.Queued,
    markFinished: (seq) => {
      AtomicsStore(startFlags, seq & slotMask, StartFlag.Finished);
    },
    exit: () => exitWorker(0),
  },
  { ...init, startFlags: startFlagsBuffer },
);

port.on('message', (message: ToWorker) => {
  try {
    const buffers = message.t === 'run' ? own(message, 'buffers') : undefined;
    if (buffers !== undefined) restoreBufferArgs((message as RunMessage).calls, buffers);
  } catch (error) {
    failWorker('reading a message from its pool', error);
  }
  runtime.receive(message);
});
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

/** The transfer lists of the results a call marked with transfer() (see transfer.ts), merged. */
function resultTransfers(results: unknown[]): TransferItem[] | undefined {
  // Loops and a SafeSet, not spread and a Set: a call may have replaced their built-ins.
  let transfer: TransferItem[] | undefined;
  let seen: Set<TransferItem> | undefined;
  for (let i = 0; i < results.length; i += 2) {
    if (results[i] !== Status.Returned) continue;
    const list = takeTransferList(results[i + 1]);
    if (list === undefined) continue;
    transfer ??= [];
    seen ??= new SafeSet();
    for (let j = 0; j < list.length; j++) {
      if (seen.has(list[j]!)) continue;
      seen.add(list[j]!);
      transfer[transfer.length] = list[j]!;
    }
  }
  return transfer;
}
