// The entry of every child process of a ProcessPoolExecutor: wires the worker runtime to the
// pool's own channel (a pipe at CHANNEL_FD carrying frames, see protocol/frames.ts), and makes sure
// the child never outlives its parent.
//
// Node's IPC channel (process.send) stays open but carries nothing of the pool's: what a call
// sends there is ignored by the parent, and a listener it removes there deafens nothing.

import { Socket } from 'node:net';
import {
  CHANNEL_FD,
  FrameReader,
  encodeFrame,
  survivesSerialization,
  type FrameKey,
} from '../protocol/frames.js';
import type { FromWorker, ToWorker } from '../protocol/messages.js';
import { guardAgainstOrphaning } from './parent-guard.js';
import { exitAfterOutput, watchOutputWhenMade } from './child-output.js';
import { WorkerRuntime } from './runtime.js';
import { failWorker, makeSafe, steadyListener, steadyMethods } from './intrinsics.js';

if (typeof process.send !== 'function') {
  throw new Error(
    'This module is the entry of a ProcessPoolExecutor child process; it is not meant to be run directly.',
  );
}

// A Socket whose methods (and its streams' and EventEmitter's) are copies taken at load: a call
// may replace net.Socket.prototype.write or EventEmitter.prototype.emit (see intrinsics.ts).
const ChannelSocket = makeSafe(Socket);
steadyMethods(Socket); // and Node's stream code can still call them by Function.prototype.call
const channel = new ChannelSocket({ fd: CHANNEL_FD, readable: true, writable: true });

// A parent that exits or is killed closes the pool's channel: leave at once. Not on Node's IPC
// channel's 'disconnect': a call may call process.disconnect() itself, and the pool does not use
// that channel, so the child goes on.
// Listeners that emit() can still call once a call has replaced Function.prototype.apply.
const leave = steadyListener(() => exitAfterOutput(0));
channel.on('end', leave);
channel.on('error', leave);

// A child busy in a long synchronous call never sees the channel end: a guard outside this thread
// kills it once the parent is gone.
guardAgainstOrphaning();
// What a call prints reaches the parent's stdout whole, however the child ends.
watchOutputWhenMade();
// Ctrl-C in a terminal signals the whole foreground process group, children too: they died at once,
// failing their calls as "killed by SIGINT" while a parent that handles SIGINT shut down gently (a
// worker host's close() lets running jobs finish). The parent decides, as for threads, which no
// signal reaches: a parent that dies of it ends its children (the channel's end, the guard).
process.on('SIGINT', () => {});

let unsent = 0; // frames not yet written out: exiting before they are would lose results
let exitRequested = false;
const onSent = (): void => {
  if (--unsent === 0 && exitRequested) exitAfterOutput(0);
};

// The key the pool reads our frames by, from its 'init' (see protocol/frames.ts). Held here only,
// out of reach of the calls, which can write to the pipe but cannot stamp a frame the pool reads.
let frameKey: FrameKey | undefined;

function send(message: FromWorker): void {
  // Throws, before anything is written, if a value cannot travel.
  const frame = encodeFrame(message, frameKey);
  unsent++;
  channel.write(frame, onSent);
}

let runtime: WorkerRuntime | undefined;
const reader = new FrameReader(
  (message) => {
    const toWorker = message as ToWorker;
    if (runtime !== undefined) {
      runtime.receive(toWorker);
    } else if (toWorker.t === 'init') {
      frameKey = toWorker.init.frameKey;
      runtime = new WorkerRuntime(
        {
          send,
          // The round trip, not serialize() alone: a value that serialises but cannot be read back
          // (an Error whose cause is itself) must be caught here, where it is only one value.
          clonable: survivesSerialization,
          // A call handed to a child counts as running from the moment it is sent (as in Python).
          claimStart: () => true,
          markFinished: () => {},
          exit: () => {
            exitRequested = true;
            // Or every byte is with the kernel already: a write that completes at once has its
            // callback deferred through process.nextTick, which a call may have replaced.
            if (unsent === 0 || channel.writableLength === 0) exitAfterOutput(0);
          },
        },
        toWorker.init,
      );
    }
  },
  // An argument that cannot be read back here: the pool says which calls it held (SyncMessage).
  () => runtime?.lost(),
);
channel.on(
  'data',
  steadyListener((chunk: Buffer) => {
    try {
      reader.push(chunk);
    } catch (error) {
      failWorker('reading its channel', error);
    }
  }),
);
