// A one-line description of any thrown value, for the messages of our own errors. It never throws:
// what a call or a serialiser throws may be null, a Proxy whose traps throw, or an object whose
// `message` getter or Symbol.toPrimitive throws, and describing it must not become a second fault.
// In a worker a call may also have replaced `String`: the one captured at load is used.

import { NativeString } from './worker/intrinsics.js';

export function describeError(error: unknown): string {
  try {
    const message = (error as { message?: unknown } | null | undefined)?.message;
    if (typeof message === 'string') return message;
  } catch {
    // A throwing `message` getter, or a Proxy: fall through to the value itself.
  }
  try {
    return NativeString(error);
  } catch {
    return `a value of type ${typeof error} that cannot be described`;
  }
}
