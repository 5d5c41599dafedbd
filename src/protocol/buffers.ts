// Buffers through a worker thread. postMessage's structured clone turns a Buffer into a plain
// Uint8Array (a process's V8 serializer keeps it a Buffer). So the sender lists where the Buffers
// are, and the receiver makes each a Buffer again as a view over the same memory: no copy.
//
// Only the top level is covered: each argument of a call (also each argument of a chunk's items)
// and each call's result. Nested Buffers (in an array, an object, a Map) arrive as Uint8Arrays:
// finding them would walk every value sent, a cost on every call that the plain path must not pay.
// At the top level the check is one `instanceof` per argument and per result.

import { Status } from './messages.js';
import { NativeUint8Array, ReflectApply, inheritsFrom } from '../worker/intrinsics.js';

// As captured at load: a call may replace globalThis.Buffer or Array.prototype.push in its worker
// (see worker/intrinsics.ts). A Buffer is told by its prototype, not by `instanceof Buffer`.
const BUFFER_PROTOTYPE = Buffer.prototype;
const bufferFrom = Buffer.from;
function isBuffer(value: unknown): boolean {
  return typeof value === 'object' && value !== null && inheritsFrom(value, BUFFER_PROTOTYPE);
}

/**
 * Where the Buffers are among the calls of a 'run' message (`[op, payload]` pairs, see messages.ts):
 * pairs `[index of the payload in calls, index of the argument]`; undefined if none.
 */
export function findBufferArgs(calls: readonly unknown[]): number[] | undefined {
  let marks: number[] | undefined;
  for (let i = 0; i < calls.length; i += 2) {
    const op = calls[i] as number;
    const payload = calls[i + 1] as unknown[];
    // A chunk's payload is [arity, flatArgs]: its items' arguments back to back.
    const args = op >= 0 ? payload : (payload[1] as unknown[]);
    for (let j = 0; j < args.length; j++)
      if (isBuffer(args[j])) {
        marks ??= [];
        marks[marks.length] = i + 1;
        marks[marks.length] = j;
      }
  }
  return marks;
}

/** Makes the arguments `findBufferArgs` listed Buffers again (views, no copy). */
export function restoreBufferArgs(calls: unknown[], marks: readonly number[]): void {
  for (let k = 0; k < marks.length; k += 2) {
    const op = calls[marks[k]! - 1] as number;
    const payload = calls[marks[k]!] as unknown[];
    const args = op >= 0 ? payload : (payload[1] as unknown[]);
    args[marks[k + 1]!] = asBuffer(args[marks[k + 1]!]);
  }
}

/** Where the Buffers are among the results of a 'done' message: indexes into `results`. */
export function findBufferResults(results: readonly unknown[]): number[] | undefined {
  let marks: number[] | undefined;
  for (let i = 0; i < results.length; i += 2)
    if (results[i] === Status.Returned && isBuffer(results[i + 1])) {
      marks ??= [];
      marks[marks.length] = i + 1;
    }
  return marks;
}

/** Makes the results `findBufferResults` listed Buffers again (views, no copy). */
export function restoreBufferResults(results: unknown[], marks: readonly number[]): void {
  for (let k = 0; k < marks.length; k++) results[marks[k]!] = asBuffer(results[marks[k]!]);
}

function asBuffer(value: unknown): unknown {
  if (!inheritsFrom(value, NativeUint8Array.prototype)) return value;
  const view = value as Uint8Array;
  return ReflectApply(bufferFrom, Buffer, [view.buffer, view.byteOffset, view.byteLength]);
}
