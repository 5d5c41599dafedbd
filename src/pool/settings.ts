// Checks of the options every pool takes (each names the option, the value and what is allowed).

import { checkCallable, type Callable } from '../callable.js';
import {
  checkArray,
  checkOptions,
  checkPositiveInteger,
  checkTimeout,
  describe,
  type OptionKeys,
} from '../validate.js';

/** `I`: the initializer's parameters, which `initargs` must match (inferred from `initializer` only). */
export interface CommonPoolOptions<I extends any[] = any[]> {
  maxWorkers?: number | null | undefined;
  initializer?: Callable<I> | null | undefined;
  initargs?: NoInfer<I> | null | undefined;
  endGraceMs?: number | null | undefined;
  minWorkers?: number | null | undefined;
  idleTimeout?: number | null | undefined;
}

/** How long an ended call may take to stop by itself before its worker is ended, by default. */
export const DEFAULT_END_GRACE_MS = 1000;

export function checkCommonPoolOptions<T extends CommonPoolOptions>(
  options: unknown,
  defaultMaxWorkers: number,
  known: OptionKeys<T>,
  where: string,
): {
  options: Partial<T>;
  maxWorkers: number;
  initializer: Callable | undefined;
  initargs: unknown[];
  endGraceMs: number;
  minWorkers: number;
  idleTimeout: number;
} {
  const checked = checkOptions<T>(options, 'options', known, where);
  const maxWorkers = checkPositiveInteger(checked.maxWorkers, 'maxWorkers') ?? defaultMaxWorkers;
  let initializer: Callable | undefined;
  if (checked.initializer !== undefined && checked.initializer !== null) {
    try {
      checkCallable(checked.initializer);
    } catch {
      throw new TypeError(
        `Expected \`initializer\` to be a function or a fromModule() reference, got ${typeof checked.initializer}.`,
      );
    }
    initializer = checked.initializer;
  }
  const initargs = checkArray(checked.initargs, 'initargs');
  const endGraceMs = checkTimeout(checked.endGraceMs, 'endGraceMs') ?? DEFAULT_END_GRACE_MS;
  const minWorkers = checkMinWorkers(checked.minWorkers, maxWorkers);
  const idleTimeout = checkTimeout(checked.idleTimeout, 'idleTimeout') ?? Infinity;
  return {
    options: checked,
    maxWorkers,
    initializer,
    initargs,
    endGraceMs,
    minWorkers,
    idleTimeout,
  };
}

/** `minWorkers`: an integer from 0 to maxWorkers; default 0 (workers start only when calls come). */
function checkMinWorkers(value: unknown, maxWorkers: number): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number') {
    throw new TypeError(`Expected \`minWorkers\` to be an integer >= 0, got ${describe(value)}.`);
  }
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`Expected \`minWorkers\` to be an integer >= 0, got ${value}.`);
  }
  if (value > maxWorkers) {
    throw new RangeError(
      `Expected \`minWorkers\` (${value}) to be at most \`maxWorkers\` (${maxWorkers}): raise maxWorkers or lower minWorkers.`,
    );
  }
  return value;
}

/**
 * Checks at construction that `initargs` can reach a worker and be read back there (`roundTrip`
 * clones it as the pool's transport would). Found only when the first worker starts, such a value
 * threw from inside a microtask: an uncaught exception, and for processes an orphaned child.
 */
export function checkInitargsTravel(
  initargs: unknown[],
  roundTrip: (value: unknown) => unknown,
): void {
  try {
    roundTrip(initargs);
  } catch (error) {
    throw new TypeError(
      `Expected \`initargs\` to hold only values that can be sent to a worker, but they could not be ` +
        `(${(error as Error)?.message ?? String(error)}). Pass values the structured clone algorithm supports: ` +
        `primitives, plain objects, arrays, Map, Set, Date, RegExp, ArrayBuffer, typed arrays, Error.`,
      { cause: error },
    );
  }
}
