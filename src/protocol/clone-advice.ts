// What to tell a user whose arguments or result could not travel, from the serialiser's own
// message. The general advice (values the structured clone algorithm supports) misled in two
// cases where the value is of a supported kind: an ArrayBuffer an earlier transfer moved away
// (detached), and a SharedArrayBuffer, which shares memory only between threads of one process;
// and one where it is not but the fix is a word: a Promise, which wants an `await`.

import { regExpTest } from '../worker/intrinsics.js';

const SUPPORTED =
  'primitives, plain objects, arrays, Map, Set, Date, RegExp, ArrayBuffer, typed arrays, Error';

/** The advice for `why` (the serialiser's message); `what` is "Pass" (arguments) or "Return" (a result). */
export function cloneAdvice(why: string, what: 'Pass' | 'Return'): string {
  if (regExpTest(/detached/i, why)) {
    return (
      'An ArrayBuffer in it was moved away by an earlier transfer and is empty now (detached): ' +
      `${what.toLowerCase()} a copy (buffer.slice(0)), or transfer a buffer only once.`
    );
  }
  if (regExpTest(/SharedArrayBuffer/, why)) {
    return (
      'A SharedArrayBuffer shares memory between threads of one process, so it cannot travel between ' +
      `processes: ${what.toLowerCase()} a copy (new Uint8Array(shared).slice()), or use a ThreadPoolExecutor.`
    );
  }
  if (regExpTest(/#<Promise>|\[object Promise\]/, why)) {
    return what === 'Pass'
      ? 'A Promise cannot travel to a worker: await it before the call and pass its value.'
      : 'A Promise cannot travel back from the worker: await it in the function and return its value.';
  }
  return `${what} only values the structured clone algorithm supports: ${SUPPORTED}.`;
}
