// Checks of the options every pool takes (each names the option, the value and what is allowed).

import { checkCallable, type Callable } from '../callable.js';
import {
  checkArray,
  checkOptions,
  checkPositiveInteger,
  checkTimeout,
  type OptionKeys,
} from '../validate.js';

export interface CommonPoolOptions {
  maxWorkers?: number | null;
  initializer?: Callable | null;
  initargs?: unknown[] | null;
  endGraceMs?: number | null;
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
  return { options: checked, maxWorkers, initializer, initargs, endGraceMs };
}
