// How arguments, results and errors cross Redis. BullMQ stores job data and return values as
// JSON, which would turn a Map into {}, a BigInt into an exception and a Date into a string; the
// process pool's fidelity is V8's serializer, so values travel as V8-serialized bytes in base64
// (about a third larger than the bytes, and far cheaper than a JSON reviver walk). Thrown errors
// first go through the pools' own error records (name, message, stack, cause, own properties),
// which V8's serializer alone would drop.

import { serialize } from 'node:v8';
import { decodeThrown, encodeThrown, type EncodedThrown } from '../protocol/errors.js';
import { deserialize } from '../protocol/frames.js';

/** Serializes a value to base64. Throws (DataCloneError, a getter's error, RangeError) if it cannot travel. */
export function encodeValue(value: unknown): string {
  return serialize(value).toString('base64');
}

/**
 * Reads back what `encodeValue` wrote, each typed array, Buffer and DataView in memory of its own.
 * Throws if the bytes cannot be read back.
 */
export function decodeValue(text: string): unknown {
  return deserialize(Buffer.from(text, 'base64'));
}

function clonable(value: unknown): boolean {
  try {
    serialize(value);
    return true;
  } catch {
    return false;
  }
}

/** Encodes a thrown value; never throws (what cannot travel is sent as its text). */
export function encodeError(error: unknown): string {
  try {
    return encodeValue(encodeThrown(error, clonable));
  } catch {
    return encodeValue(encodeThrown(new Error(safeString(error)), clonable));
  }
}

/** Reads back what `encodeError` wrote (this package's own error classes come back as themselves). */
export function decodeError(text: string): unknown {
  return decodeThrown(decodeValue(text) as EncodedThrown);
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return 'a value that cannot be shown';
  }
}

/** Bytes of a base64 text once decoded (what `maxResultBytes` limits). */
export function decodedLength(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}
