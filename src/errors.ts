// The error classes of the public API. This module imports nothing, so every other module (the
// worker runtimes included) can depend on it without pulling in anything else.

// Taken at load: `instanceof` below must not depend on what a call may since have replaced.
const ordinaryHasInstance = Function.prototype.call.bind(
  Function.prototype[Symbol.hasInstance],
) as (cls: unknown, value: unknown) => boolean;
const isPrototypeOf = Function.prototype.call.bind(Object.prototype.isPrototypeOf) as (
  proto: object,
  value: unknown,
) => boolean;

/**
 * What the error classes take besides their message: the `cause`, as ES2022's ErrorOptions, which
 * the declarations do not name so that a project with an older target compiles them.
 */
export interface ErrorCauseOptions {
  cause?: unknown;
}

/**
 * `value instanceof cls`, also for an error made by another copy of this package: an app that
 * imports the ESM build and a dependency that requires the CommonJS one have two of each class,
 * told apart by the name each carries under ERROR_CLASS (a Future is recognised the same way).
 */
function isErrorOf(cls: { prototype: object }, value: unknown): boolean {
  if (ordinaryHasInstance(cls, value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  let name: unknown;
  try {
    name = (value as Record<symbol, unknown>)[ERROR_CLASS];
  } catch {
    return false; // a Proxy whose trap throws is no error of ours
  }
  const made = typeof name === 'string' ? ERROR_CLASSES[name] : undefined;
  return made !== undefined && (made === cls || isPrototypeOf(cls.prototype, made.prototype));
}

/** The future was cancelled before its call started; thrown by `result()` and `exception()`. */
export class CancelledError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isErrorOf(this, value);
  }

  constructor(
    message = 'The future was cancelled before its call started.',
    options?: ErrorCauseOptions,
  ) {
    super(message, options);
    this.name = 'CancelledError';
  }
}

/** A wait ran past its `timeout` (the future itself is unaffected), or a call ran past its limit. */
export class TimeoutError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isErrorOf(this, value);
  }

  constructor(message = 'The operation timed out.', options?: ErrorCauseOptions) {
    super(message, options);
    this.name = 'TimeoutError';
  }
}

/** A future was asked to do something its state does not allow (e.g. `setResult` twice). */
export class InvalidStateError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isErrorOf(this, value);
  }

  constructor(message: string, options?: ErrorCauseOptions) {
    super(message, options);
    this.name = 'InvalidStateError';
  }
}

/** The executor can no longer run calls: an initializer failed or a worker died in a way that breaks it. */
export class BrokenExecutor extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isErrorOf(this, value);
  }

  constructor(message: string, options?: ErrorCauseOptions) {
    super(message, options);
    this.name = 'BrokenExecutor';
  }
}

/** A `ThreadPoolExecutor` is broken (its initializer failed). */
export class BrokenThreadPool extends BrokenExecutor {
  constructor(message: string, options?: ErrorCauseOptions) {
    super(message, options);
    this.name = 'BrokenThreadPool';
  }
}

/** A `ProcessPoolExecutor` is broken (its initializer failed, or a child process died abruptly). */
export class BrokenProcessPool extends BrokenExecutor {
  constructor(message: string, options?: ErrorCauseOptions) {
    super(message, options);
    this.name = 'BrokenProcessPool';
  }
}

/**
 * The name of the class each of these errors was made by, on its prototype under a key that every
 * copy of this package shares (the ESM and CommonJS builds, a worker's own bundle): an error of
 * these classes thrown in a worker (a nested future's timeout, a nested pool's breakage) is rebuilt
 * in the pool as the same class, where any other error class but the built-in ones becomes a plain
 * Error (see protocol/errors.ts).
 */
export const ERROR_CLASS = Symbol.for('concurrent-futures.errorClass');

/** This package's error classes by name, for rebuilding one that a worker sent (a null prototype). */
export const ERROR_CLASSES: Readonly<Record<string, new (message: string) => Error>> =
  Object.assign(Object.create(null) as Record<string, new (message: string) => Error>, {
    CancelledError,
    TimeoutError,
    InvalidStateError,
    BrokenExecutor,
    BrokenThreadPool,
    BrokenProcessPool,
  });

for (const name of Object.keys(ERROR_CLASSES)) {
  Object.defineProperty(ERROR_CLASSES[name]!.prototype, ERROR_CLASS, { value: name });
}
