// The entry of every child process of a ProcessPoolExecutor: wires the worker runtime to the IPC
// channel of fork(), and makes sure the child never outlives its parent.

import { serialize } from 'node:v8';
import type { ToWorker } from '../protocol/messages.js';
import { guardAgainstOrphaning } from './parent-guard.js';
import { WorkerRuntime } from './runtime.js';

if (typeof process.send !== 'function') {
  throw new Error(
    'This module is the entry of a ProcessPoolExecutor child process; it is not meant to be run directly.',
  );
}

// A parent that exits or is killed closes the IPC channel: leave at once.
process.on('disconnect', () => process.exit(0));

// A child busy in a long synchronous call never sees 'disconnect': a guard outside this thread
// kills it once the parent is gone.
guardAgainstOrphaning();

let unsent = 0; // IPC writes not yet flushed: exiting before they are would lose results
let exitRequested = false;
const onSent = (): void => {
  if (--unsent === 0 && exitRequested) process.exit(0);
};

let runtime: WorkerRuntime | undefined;
process.on('message', (message: ToWorker) => {
  if (runtime !== undefined) {
    runtime.receive(message);
  } else if (message.t === 'init') {
    runtime = new WorkerRuntime(
      {
        send: (out) => {
          unsent++;
          try {
            process.send!(out, undefined, undefined, onSent);
          } catch (error) {
            unsent--;
            throw error;
          }
        },
        clonable: (value) => {
          try {
            serialize(value);
            return true;
          } catch {
            return false;
          }
        },
        // A call handed to a child counts as running from the moment it is sent (as in Python).
        claimStart: () => true,
        exit: () => {
          exitRequested = true;
          if (unsent === 0) process.exit(0);
        },
      },
      message.init,
    );
  }
});
