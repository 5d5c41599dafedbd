// How a thrown value crosses to the pool. Structured clone keeps too little of an Error (no
// custom name, no cause on Node 20, no own properties), so errors travel as plain records and are
// rebuilt on the pool's side, with the worker's stack. Any other thrown value travels as itself.
//
// Encoding runs in the worker, after the call that threw, which may have replaced what reading an
// error takes (Object.keys, Array.prototype.map, globalThis.Error, a throwing
// Error.prepareStackTrace): it reads with the built-ins captured at load (see
// worker/intrinsics.ts), each property on its own, and never throws.

import { ERROR_CLASS, ERROR_CLASSES } from '../errors.js';
import {
  ArrayIsArray,
  NativeAggregateError,
  NativeDOMException,
  NativeError,
  NativeEvalError,
  NativeRangeError,
  NativeReferenceError,
  NativeString,
  NativeSyntaxError,
  NativeTypeError,
  NativeURIError,
  ObjectCreate,
  ObjectDefineProperty,
  ObjectGetOwnPropertyDescriptor,
  ObjectGetPrototypeOf,
  ObjectPrototypeToString,
  ReflectOwnKeys,
  inheritsFrom,
  isNativeError,
} from '../worker/intrinsics.js';

export interface EncodedError {
  $error: 1;
  name: string;
  message: string;
  stack: string | undefined;
  /** The built-in constructor to rebuild with (keeps `instanceof TypeError` etc.), if any. */
  builtin: string | undefined;
  /** The class of this package's it was made by (see ERROR_CLASS), to rebuild it with, if any. */
  ours?: string;
  cause?: EncodedThrown;
  errors?: EncodedThrown[];
  props?: Record<string, unknown>;
}

export interface EncodedValue {
  $value: unknown;
}

export type EncodedThrown = EncodedError | EncodedValue;

type ErrorConstructorLike = new (message?: string) => Error;

/** The built-in classes an error is rebuilt with, by name (a null prototype: no inherited keys). */
const BUILTINS: Record<string, ErrorConstructorLike> = ObjectCreate(null) as Record<
  string,
  ErrorConstructorLike
>;
BUILTINS.Error = NativeError;
BUILTINS.TypeError = NativeTypeError;
BUILTINS.RangeError = NativeRangeError;
BUILTINS.SyntaxError = NativeSyntaxError;
BUILTINS.ReferenceError = NativeReferenceError;
BUILTINS.EvalError = NativeEvalError;
BUILTINS.URIError = NativeURIError;

// Their prototypes as they were at load, nearest first when walking an error's chain up.
const BUILTIN_PROTOTYPES: [object, string][] = [
  [NativeAggregateError.prototype, 'AggregateError'],
  [NativeTypeError.prototype, 'TypeError'],
  [NativeRangeError.prototype, 'RangeError'],
  [NativeSyntaxError.prototype, 'SyntaxError'],
  [NativeReferenceError.prototype, 'ReferenceError'],
  [NativeEvalError.prototype, 'EvalError'],
  [NativeURIError.prototype, 'URIError'],
  [NativeError.prototype, 'Error'],
];
const ERROR_PROTOTYPE = NativeError.prototype;

function isErrorLike(value: unknown): value is Error {
  if (typeof value !== 'object' || value === null) return false;
  if (isNativeError(value) || inheritsFrom(value, ERROR_PROTOTYPE)) return true;
  return typeof (value as Error).message === 'string' && typeof (value as Error).stack === 'string';
}

/**
 * Encodes a thrown value; `clonable` tells which property values may travel as they are. Never
 * throws: a call may throw anything (a Proxy whose traps throw, a getter that throws, an object
 * with no prototype), and the worker must live to report it. What cannot be read is described.
 */
export function encodeThrown(
  value: unknown,
  clonable: (value: unknown) => boolean,
  depth = 0,
): EncodedThrown {
  try {
    return encodeUnguarded(value, clonable, depth);
  } catch (readError) {
    return { $value: standIn(value, readError) };
  }
}

/** `String(value)`, or what can be said of it safely if that throws. */
function safeString(value: unknown): string {
  try {
    return NativeString(value);
  } catch {
    try {
      return ObjectPrototypeToString(value);
    } catch {
      return `[${typeof value}]`;
    }
  }
}

/** What a value that cannot travel becomes: its description, or what can be said of it safely. */
function standIn(value: unknown, readError?: unknown): string {
  const text = safeString(value);
  if (readError === undefined) return text;
  return `${text} (thrown by the call; it could not be read to send it back: ${whyItThrew(readError)})`;
}

function whyItThrew(error: unknown): string {
  try {
    const message = (error as { message?: unknown } | null)?.message;
    return typeof message === 'string' ? message : safeString(error);
  } catch {
    return 'reading it threw';
  }
}

/** Reads `error[key]` (a getter may throw): `{ value }`, or `{ threw }` with what it threw. */
function read(error: object, key: PropertyKey): { value?: unknown; threw?: unknown } {
  try {
    return { value: (error as Record<PropertyKey, unknown>)[key] };
  } catch (threw) {
    return { threw: threw ?? 'an undefined value' };
  }
}

function encodeUnguarded(
  value: unknown,
  clonable: (value: unknown) => boolean,
  depth: number,
): EncodedThrown {
  if (!isErrorLike(value) || depth > 8) return { $value: clonable(value) ? value : standIn(value) };
  const error = value as Error & { errors?: unknown };
  const builtin = builtinName(error);
  const name = read(error, 'name');
  const message = read(error, 'message');
  const nameText = name.threw === undefined ? safeString(name.value) : (builtin ?? 'Error');
  const messageText =
    message.threw === undefined
      ? message.value === undefined
        ? ''
        : safeString(message.value)
      : `(its message could not be read: ${whyItThrew(message.threw)})`;
  const stack = read(error, 'stack');
  const encoded: EncodedError = {
    $error: 1,
    name: nameText,
    message: messageText,
    // A stack that cannot be read (an Error.prepareStackTrace that throws) is said to be
    // unavailable, and why; the name and message still travel.
    stack:
      stack.threw !== undefined
        ? `${nameText}: ${messageText}\n    (stack unavailable: reading it threw: ${whyItThrew(stack.threw)})`
        : typeof stack.value === 'string'
          ? stack.value
          : undefined,
    builtin,
  };
  const ours = read(error, ERROR_CLASS).value;
  if (typeof ours === 'string') encoded.ours = ours;
  if ('cause' in error) {
    const cause = read(error, 'cause');
    encoded.cause = encodeThrown(
      cause.threw === undefined
        ? cause.value
        : `(its cause could not be read: ${whyItThrew(cause.threw)})`,
      clonable,
      depth + 1,
    );
  }
  if (builtin === 'AggregateError' || nameText === 'AggregateError') {
    const inner = read(error, 'errors');
    if (ArrayIsArray(inner.value)) {
      const list = inner.value as unknown[];
      const errors: EncodedThrown[] = [];
      for (let i = 0; i < list.length; i++) errors[i] = encodeThrown(list[i], clonable, depth + 1);
      encoded.errors = errors;
    }
  }
  const keys = ReflectOwnKeys(error);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (
      typeof key !== 'string' ||
      key === 'cause' ||
      key === 'errors' ||
      key === 'stack' ||
      key === 'message' ||
      key === 'name' ||
      ObjectGetOwnPropertyDescriptor(error, key)?.enumerable !== true
    )
      continue;
    const prop = read(error, key);
    (encoded.props ??= ObjectCreate(null) as Record<string, unknown>)[key] =
      prop.threw !== undefined
        ? standIn(`[property ${key}]`, prop.threw)
        : isErrorLike(prop.value)
          ? encodeThrown(prop.value, clonable, depth + 1)
          : clonable(prop.value)
            ? prop.value
            : standIn(prop.value);
  }
  if (NativeDOMException !== undefined && inheritsFrom(error, NativeDOMException.prototype))
    encoded.builtin = 'DOMException';
  return encoded;
}

/** The nearest built-in class on the error's prototype chain, as captured at load. */
function builtinName(error: Error): string | undefined {
  let proto = ObjectGetPrototypeOf(error) as object | null;
  for (let steps = 0; proto !== null && steps < 100; steps++) {
    for (let i = 0; i < BUILTIN_PROTOTYPES.length; i++)
      if (BUILTIN_PROTOTYPES[i]![0] === proto) return BUILTIN_PROTOTYPES[i]![1];
    proto = ObjectGetPrototypeOf(proto) as object | null;
  }
  return undefined;
}

function defineHidden(target: object, key: string, value: unknown): void {
  ObjectDefineProperty(target, key, {
    value,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

/** Rebuilds what `encodeThrown` encoded: an Error of the same class where that class is built in. */
export function decodeThrown(encoded: EncodedThrown): unknown {
  if (!('$error' in encoded)) return encoded.$value;
  let error: Error;
  if (encoded.builtin === 'AggregateError') {
    const inner = encoded.errors ?? [];
    const errors: unknown[] = [];
    for (let i = 0; i < inner.length; i++) errors[i] = decodeThrown(inner[i]!);
    error = new NativeAggregateError(errors, encoded.message);
  } else if (encoded.builtin === 'DOMException' && NativeDOMException !== undefined) {
    error = new NativeDOMException(encoded.message, encoded.name);
  } else {
    const Ctor =
      (encoded.ours !== undefined && ERROR_CLASSES[encoded.ours]) ||
      (encoded.builtin !== undefined && BUILTINS[encoded.builtin]) ||
      NativeError;
    error = new Ctor(encoded.message);
  }
  if (error.name !== encoded.name) defineHidden(error, 'name', encoded.name);
  if (encoded.stack !== undefined) defineHidden(error, 'stack', encoded.stack);
  if (encoded.cause !== undefined) defineHidden(error, 'cause', decodeThrown(encoded.cause));
  if (encoded.props !== undefined) {
    const props = encoded.props;
    const keys = ReflectOwnKeys(props);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const value = props[key];
      (error as unknown as Record<string, unknown>)[key] = isEncoded(value)
        ? decodeThrown(value)
        : value;
    }
  }
  return error;
}

function isEncoded(value: unknown): value is EncodedError {
  return typeof value === 'object' && value !== null && (value as EncodedError).$error === 1;
}
