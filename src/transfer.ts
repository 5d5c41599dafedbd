// Transfer lists: what `schedule(fn, { transfer })` and `transfer(value, list)` move to the other
// side instead of copying (worker threads only; a process copies, the event loop passes by reference).
//
// A worker function marks its result with transfer(value, list). The mark is kept beside the value
// (a WeakMap), not around it: the function still returns the value itself, so the same function
// gives the same result on the event loop and in a process, where nothing is moved, and the result
// type is the value's. The thread entry looks each result up as it posts results, but only while
// some mark is pending (one integer read per batch on the plain path).

import { describe } from './validate.js';

/** What can be moved to another thread: the memory of an `ArrayBuffer`, or a `MessagePort`. */
export type TransferItem = ArrayBuffer | InstanceType<typeof MessagePort>;

/**
 * Marks shared by every copy of this module in a thread (the ESM and CommonJS builds: a function
 * sent by source imports the package itself, and may get the other copy than the worker entry's).
 */
interface TransferMarks {
  readonly lists: WeakMap<object, readonly TransferItem[]>;
  /** Values marked and not yet taken: while 0, results are not looked up at all. */
  pending: number;
}

const MARKS_KEY = Symbol.for('concurrent-futures.transfer.v1');
const marks: TransferMarks = ((globalThis as { [MARKS_KEY]?: TransferMarks })[MARKS_KEY] ??= {
  lists: new WeakMap(),
  pending: 0,
});

/**
 * Returns `value` marked so that, returned by a call on a `ThreadPoolExecutor`, the `ArrayBuffer`s
 * and `MessagePort`s in `list` are moved to the caller instead of copied (they are detached in the
 * worker afterwards). In a process pool the result is copied; on the event loop it is passed as is.
 * Inside a function sent by source, import it: `const { transfer } = await import('concurrent-futures')`.
 *
 * ```ts
 * const bytes = new Uint8Array(50e6);
 * return transfer(bytes, [bytes.buffer]);
 * ```
 */
export function transfer<T extends object>(value: T, list: readonly TransferItem[]): T {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
    throw new TypeError(
      `Expected the value given to transfer() to be an object (a typed array, an array, a plain object, ...), got ${describe(value)}. ` +
        'Primitives are copied anyway: return them as they are.',
    );
  }
  const checked = checkTransferList(list, 'the list given to transfer()');
  if (!marks.lists.has(value)) marks.pending++;
  marks.lists.set(value, checked);
  return value;
}

/** For the thread entry: the transfer list `value` was marked with (the mark is used up), if any. */
export function takeTransferList(value: unknown): readonly TransferItem[] | undefined {
  if (marks.pending === 0 || typeof value !== 'object' || value === null) return undefined;
  const list = marks.lists.get(value);
  if (list === undefined) return undefined;
  marks.lists.delete(value);
  marks.pending--;
  return list;
}

/** Whether any value is marked and not yet taken (a cheap gate before looking results up). */
export function transfersPending(): boolean {
  return marks.pending > 0;
}

/**
 * A transfer list: an array of `ArrayBuffer`s and `MessagePort`s, duplicates dropped (postMessage
 * refuses them). Anything else is a TypeError naming the element and what to pass instead.
 */
export function checkTransferList(value: unknown, name: string): readonly TransferItem[] {
  if (!Array.isArray(value)) {
    throw new TypeError(
      `Expected ${name} to be an array of ArrayBuffers and MessagePorts, got ${describe(value)}.`,
    );
  }
  // An index loop, not forEach: a hole ([, buffer]) is an element too, and postMessage refuses it.
  for (let index = 0; index < value.length; index++) {
    const item: unknown = value[index];
    if (item instanceof ArrayBuffer) {
      if (isDetached(item)) {
        throw new TypeError(
          `Element ${index} of ${name} is an ArrayBuffer that was moved already (by an earlier transfer): ` +
            `it is detached and has nothing left to send. Transfer a buffer once, or move a copy ` +
            `(buffer.slice()).`,
        );
      }
      continue;
    }
    if (isMessagePort(item)) continue;
    let hint = 'Only ArrayBuffers and MessagePorts can be transferred.';
    if (ArrayBuffer.isView(item))
      hint = 'Pass its memory instead, `view.buffer` (the view itself travels in `args`).';
    else if (typeof SharedArrayBuffer === 'function' && item instanceof SharedArrayBuffer)
      hint = 'A SharedArrayBuffer is shared, never moved: pass it in `args` alone.';
    throw new TypeError(
      `Element ${index} of ${name} cannot be transferred: got ${describe(item)}. ${hint}`,
    );
  }
  return value.length > 1 && new Set(value).size !== value.length
    ? [...new Set(value as TransferItem[])]
    : (value as TransferItem[]);
}

/** A MessagePort, where the runtime has the class at all. */
export function isMessagePort(value: unknown): boolean {
  const MessagePortClass = (globalThis as { MessagePort?: abstract new () => unknown }).MessagePort;
  return MessagePortClass !== undefined && value instanceof MessagePortClass;
}

/** Node 20 has no `ArrayBuffer.prototype.detached`: a detached buffer is empty and refuses slice(). */
function isDetached(buffer: ArrayBuffer): boolean {
  if (buffer.byteLength !== 0) return false;
  try {
    buffer.slice(0, 0);
    return false;
  } catch {
    return true;
  }
}
