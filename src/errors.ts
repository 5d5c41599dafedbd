// The error classes of the public API. This module imports nothing, so every other module (the
// worker runtimes included) can depend on it without pulling in anything else.

/** The future was cancelled before its call started; thrown by `result()` and `exception()`. */
export class CancelledError extends Error {
  constructor(
    message = 'The future was cancelled before its call started.',
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CancelledError';
  }
}

/** A wait ran past its `timeout` (the future itself is unaffected), or a call ran past its limit. */
export class TimeoutError extends Error {
  constructor(message = 'The operation timed out.', options?: ErrorOptions) {
    super(message, options);
    this.name = 'TimeoutError';
  }
}

/** A future was asked to do something its state does not allow (e.g. `setResult` twice). */
export class InvalidStateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidStateError';
  }
}

/** The executor can no longer run calls: an initializer failed or a worker died in a way that breaks it. */
export class BrokenExecutor extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BrokenExecutor';
  }
}

/** A `ThreadPoolExecutor` is broken (its initializer failed). */
export class BrokenThreadPool extends BrokenExecutor {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BrokenThreadPool';
  }
}

/** A `ProcessPoolExecutor` is broken (its initializer failed, or a child process died abruptly). */
export class BrokenProcessPool extends BrokenExecutor {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BrokenProcessPool';
  }
}
