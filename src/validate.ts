// Argument checks shared by every public entry point. Each error names the argument, the value it
// got and what is allowed, so the user can fix the call without reading our source.

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'symbol') return value.toString();
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return 'an array';
  const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
  return ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
}

const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** A timeout in milliseconds: `undefined`/`null` mean none; otherwise a number >= 0 (Infinity allowed). */
export function checkTimeout(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') {
    throw new TypeError(
      `Expected \`${name}\` to be a number of milliseconds, got ${describe(value)}.`,
    );
  }
  if (Number.isNaN(value) || value < 0) {
    throw new RangeError(`Expected \`${name}\` to be a number of milliseconds >= 0, got ${value}.`);
  }
  // Node runs a setTimeout longer than 2^31 - 1 ms (about 24.8 days) after 1 ms instead, so such a
  // timeout would fire at once; no process waits that long anyway, so it means no limit.
  return value > MAX_TIMER_DELAY ? Infinity : value;
}

/** An integer >= 1, or `undefined`/`null` for the default. */
export function checkPositiveInteger(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') {
    throw new TypeError(`Expected \`${name}\` to be an integer >= 1, got ${describe(value)}.`);
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Expected \`${name}\` to be an integer >= 1, got ${value}.`);
  }
  return value;
}

/** An options argument: `undefined`/`null` give `{}`; anything but a plain object is a TypeError. */
export function checkOptions<T extends object>(value: unknown, name: string): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`Expected \`${name}\` to be an options object, got ${describe(value)}.`);
  }
  return value as Partial<T>;
}

export function checkBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') {
    throw new TypeError(`Expected \`${name}\` to be true or false, got ${describe(value)}.`);
  }
  return value;
}

export function checkFunction<F>(value: unknown, name: string): F | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'function') {
    throw new TypeError(`Expected \`${name}\` to be a function, got ${describe(value)}.`);
  }
  return value as F;
}

export function checkArray(value: unknown, name: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new TypeError(`Expected \`${name}\` to be an array, got ${describe(value)}.`);
  }
  return value;
}

export function checkAbortSignal(value: unknown, name: string): AbortSignal | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof AbortSignal)) {
    throw new TypeError(`Expected \`${name}\` to be an AbortSignal, got ${describe(value)}.`);
  }
  return value;
}
