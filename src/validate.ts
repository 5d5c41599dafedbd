// Argument checks shared by every public entry point. Each error names the argument, the value it
// got and what is allowed, so the user can fix the call without reading our source.

import { functionName } from './function-name.js';

export function describe(value: unknown): string {
  try {
    return describeUnguarded(value);
  } catch {
    return `a ${typeof value} that cannot be described`; // a Proxy whose traps throw
  }
}

function describeUnguarded(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `function ${functionName(value) || '(anonymous)'}`;
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

/**
 * Every key of an options type, each set to `true`. Written as a record rather than a list so that
 * an option added to the type and forgotten here is a compile error, not a key refused at run time.
 */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: true };

/**
 * An options argument: `undefined`/`null` give no options; anything but a plain object is a TypeError, and
 * so is a key the options do not know (`where` names the call, e.g. `schedule()`): a misspelled
 * option would otherwise be ignored silently, and a typo'd `timeOut` would never end a call.
 */
export function checkOptions<T extends object>(
  value: unknown,
  name: string,
  known: OptionKeys<T>,
  where: string,
): Partial<T> {
  if (value === undefined || value === null) return Object.create(null) as Partial<T>;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(
      `Expected \`${name}\` to be an options object, got ${describe(value)}.${positionalHint(value, known, where)}`,
    );
  }
  return ownOptions(value, known, where) as Partial<T>;
}

/**
 * The options `value` gives, checked against `known`, each read once into an object with no
 * prototype. A known option is read where the user's object or its classes define it (an own key,
 * a getter of its class, an options object made with Object.create(defaults)), never from the root
 * of its prototype chain: a key on Object.prototype (set by other code, or by a prototype-pollution
 * bug) is no option of anyone's. Read off the user's object as it was, an inherited `timeout` gave
 * every schedule() a timeout nobody asked for. An unknown own key is still a TypeError.
 */
export function ownOptions(value: object, known: object, where: string): Record<string, unknown> {
  // for-in over a small object is cheap enough for schedule(), which checks its options per call.
  for (const key in value) {
    if (Object.hasOwn(value, key) && !Object.hasOwn(known, key))
      throw unknownOptionError(key, Object.keys(known), where);
  }
  const own = Object.create(null) as Record<string, unknown>;
  for (const key in known) {
    if (definesOption(value, key)) own[key] = (value as Record<string, unknown>)[key];
  }
  return own;
}

/** Whether `key` is on `value` or its prototypes, the root of the chain (an Object.prototype) apart. */
function definesOption(value: object, key: string): boolean {
  for (let holder: object | null = value; holder !== null; holder = Object.getPrototypeOf(holder)) {
    if (Object.hasOwn(holder, key))
      return holder === value || Object.getPrototypeOf(holder) !== null;
  }
  return false;
}

/**
 * Python passes these as positional or keyword arguments (`ThreadPoolExecutor(4)`, `wait(fs, 5)`,
 * `shutdown(False)`); here they are named in one object. Said when a lone number, string or
 * boolean stands where the object goes, with the option it most likely meant.
 */
function positionalHint(value: unknown, known: object, where: string): string {
  const has = (key: string): boolean => Object.hasOwn(known, key);
  const call = where.slice(0, -1); // "wait(" from "wait()"
  if (where === 'schedule()') {
    // schedule(fn, 5): most likely the function's argument, as submit(fn, 5) takes it; an array,
    // most likely the argument list.
    if (Array.isArray(value))
      return ' Options are named here: schedule(fn, { args: list }) passes the elements of list to fn as its arguments.';
    return ` Options are named here: schedule(fn, { args: [${describe(value)}] }) passes it to fn.`;
  }
  const first = where === 'wait()' || where === 'asCompleted()' ? 'fs, ' : '';
  const named = (option: string): string =>
    ` Options are named here, as Python's keyword arguments: ${call}${first}{ ${option} }).`;
  if (typeof value === 'number' && has('maxWorkers')) return named(`maxWorkers: ${value}`);
  if (typeof value === 'number' && has('timeout')) {
    // Python's timeouts are seconds, ours milliseconds.
    return `${named(`timeout: ${value * 1000}`)} A timeout is in milliseconds here: Python's ${value} s is ${value * 1000}.`;
  }
  if (typeof value === 'string' && has('returnWhen')) return named(`returnWhen: '${value}'`);
  if (typeof value === 'boolean' && has('wait')) return named(`wait: ${value}`);
  return '';
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

// Names that users bring from other pools and from Python, and the option they mean here. Keys are
// normalised (lower case, no `_` or `-`); a hint is given only when the option exists at that call.
const OPTION_ALIASES: Readonly<Record<string, string>> = {
  maxthreads: 'maxWorkers',
  threads: 'maxWorkers',
  numthreads: 'maxWorkers',
  workers: 'maxWorkers',
  numworkers: 'maxWorkers',
  maxprocesses: 'maxWorkers',
  processes: 'maxWorkers',
  concurrency: 'maxWorkers',
  poolsize: 'maxWorkers',
  size: 'maxWorkers',
  maxtasksperworker: 'maxTasksPerChild',
  maxtasks: 'maxTasksPerChild',
  cancel: 'cancelFutures',
  cancelpending: 'cancelFutures',
  timeoutms: 'timeout',
  deadline: 'timeout',
  abortsignal: 'signal',
  arguments: 'args',
  initialiser: 'initializer',
  init: 'initializer',
  initarguments: 'initargs',
  batchsize: 'chunksize',
  graceperiod: 'endGraceMs',
};

function normalise(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

function unknownOptionError(key: string, known: string[], where: string): TypeError {
  const meant = optionMeant(key, known);
  return new TypeError(
    `Unknown option \`${key}\` in the options of ${where}` +
      (meant === undefined ? '.' : `: did you mean \`${meant}\`?`) +
      ` The options ${where} knows are: ${known.map((name) => `\`${name}\``).join(', ')}.`,
  );
}

/** The known option `key` most likely stands for: same name spelt otherwise, an alias, or a near typo. */
function optionMeant(key: string, known: string[]): string | undefined {
  const normalised = normalise(key);
  const sameName = known.find((name) => normalise(name) === normalised);
  if (sameName !== undefined) return sameName;
  const alias = OPTION_ALIASES[normalised];
  if (alias !== undefined && known.includes(alias)) return alias;
  let best: string | undefined;
  let bestDistance = 3; // at most two edits away
  for (const name of known) {
    const distance = editDistance(normalised, normalise(name));
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}
