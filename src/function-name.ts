// A function's name for messages and for the worker, read without running the user's code: `name`
// may be a getter that throws (or returns anything), and a function may be a Proxy whose traps
// throw. submit() must not fail with the user's getter error, nor a timeout message with it.

/** `fn`'s own `name` if it is a plain string value, else '' (anonymous). Never throws. */
export function functionName(fn: unknown): string {
  try {
    const own = Object.getOwnPropertyDescriptor(fn, 'name');
    return own !== undefined && typeof own.value === 'string' ? own.value : '';
  } catch {
    return ''; // a Proxy whose getOwnPropertyDescriptor trap throws
  }
}
