// How a thrown value crosses to the pool. Structured clone keeps too little of an Error (no
// custom name, no cause on Node 20, no own properties), so errors travel as plain records and are
// rebuilt on the pool's side, with the worker's stack. Any other thrown value travels as itself.

export interface EncodedError {
  $error: 1;
  name: string;
  message: string;
  stack: string | undefined;
  /** The built-in constructor to rebuild with (keeps `instanceof TypeError` etc.), if any. */
  builtin: string | undefined;
  cause?: EncodedThrown;
  errors?: EncodedThrown[];
  props?: Record<string, unknown>;
}

export interface EncodedValue {
  $value: unknown;
}

export type EncodedThrown = EncodedError | EncodedValue;

const BUILTINS: Record<string, new (message?: string) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

function isErrorLike(value: unknown): value is Error {
  return (
    value instanceof Error ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as Error).message === 'string' &&
      typeof (value as Error).stack === 'string')
  );
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

/** What a value that cannot travel becomes: its description, or what can be said of it safely. */
function standIn(value: unknown, readError?: unknown): string {
  let text: string;
  try {
    text = String(value);
  } catch {
    try {
      text = Object.prototype.toString.call(value);
    } catch {
      text = `[${typeof value}]`;
    }
  }
  if (readError === undefined) return text;
  let why: string;
  try {
    why = String((readError as Error)?.message ?? readError);
  } catch {
    why = 'reading it threw';
  }
  return `${text} (thrown by the call; it could not be read to send it back: ${why})`;
}

function encodeUnguarded(
  value: unknown,
  clonable: (value: unknown) => boolean,
  depth: number,
): EncodedThrown {
  if (!isErrorLike(value) || depth > 8) return { $value: clonable(value) ? value : standIn(value) };
  const error = value as Error & { errors?: unknown };
  const encoded: EncodedError = {
    $error: 1,
    name: String(error.name),
    message: String(error.message),
    stack: typeof error.stack === 'string' ? error.stack : undefined,
    builtin: builtinName(error),
  };
  if ('cause' in error) encoded.cause = encodeThrown(error.cause, clonable, depth + 1);
  if (
    error instanceof AggregateError ||
    (error.name === 'AggregateError' && Array.isArray(error.errors))
  ) {
    encoded.errors = (error.errors as unknown[]).map((inner) =>
      encodeThrown(inner, clonable, depth + 1),
    );
  }
  for (const key of Object.keys(error)) {
    if (
      key === 'cause' ||
      key === 'errors' ||
      key === 'stack' ||
      key === 'message' ||
      key === 'name'
    )
      continue;
    const prop = (error as unknown as Record<string, unknown>)[key];
    (encoded.props ??= {})[key] = isErrorLike(prop)
      ? encodeThrown(prop, clonable, depth + 1)
      : clonable(prop)
        ? prop
        : standIn(prop);
  }
  if (typeof DOMException !== 'undefined' && error instanceof DOMException)
    encoded.builtin = 'DOMException';
  return encoded;
}

function builtinName(error: Error): string | undefined {
  if (error instanceof AggregateError) return 'AggregateError';
  let proto = Object.getPrototypeOf(error);
  while (proto !== null) {
    const name = proto.constructor?.name;
    if (
      typeof name === 'string' &&
      Object.hasOwn(BUILTINS, name) &&
      proto === globalThis[name as keyof typeof globalThis]?.prototype
    )
      return name;
    proto = Object.getPrototypeOf(proto);
  }
  return undefined;
}

/** Rebuilds what `encodeThrown` encoded: an Error of the same class where that class is built in. */
export function decodeThrown(encoded: EncodedThrown): unknown {
  if (!('$error' in encoded)) return encoded.$value;
  let error: Error;
  if (encoded.builtin === 'AggregateError') {
    error = new AggregateError((encoded.errors ?? []).map(decodeThrown), encoded.message);
  } else if (encoded.builtin === 'DOMException') {
    error = new DOMException(encoded.message, encoded.name);
  } else {
    const Ctor = (encoded.builtin !== undefined && BUILTINS[encoded.builtin]) || Error;
    error = new Ctor(encoded.message);
  }
  if (error.name !== encoded.name) {
    Object.defineProperty(error, 'name', {
      value: encoded.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (encoded.stack !== undefined) {
    Object.defineProperty(error, 'stack', {
      value: encoded.stack,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (encoded.cause !== undefined) {
    Object.defineProperty(error, 'cause', {
      value: decodeThrown(encoded.cause),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (encoded.props !== undefined) {
    for (const [key, value] of Object.entries(encoded.props)) {
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
