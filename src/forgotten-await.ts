// A Future among a call's arguments is nearly always a forgotten `await`. A Future keeps its state
// in private fields, which the structured clone algorithm (and V8's serializer) skip, so it would
// arrive in the worker as `{}` and the call would compute with that: a wrong result, silently.
// Refused where the call is made instead, with the stack of the line that forgot. A Promise needs
// no check here: the serializer refuses it already (see clone-advice.ts for its advice).
//
// Only the arguments themselves and the first elements of an array argument are looked at (a
// Future inside an object stays undetected): a few type checks keep submit() as cheap as it was.

import { isFuture } from './future.js';

const ARRAY_ELEMENTS_LOOKED_AT = 32;

/**
 * Throws a TypeError naming the argument if one of `args` (or an element of an array among them)
 * is a Future; `mapItems`: `args` are the items of a map() chunk, not one call's arguments.
 */
export function refuseFutureArguments(args: readonly unknown[], mapItems = false): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== 'object' || arg === null) continue;
    if (isFuture(arg))
      throw forgottenAwait(mapItems ? 'An item given to map()' : `Argument ${i} of this call`);
    if (Array.isArray(arg)) {
      // The first elements only: an array of futures is nearly always futures throughout, and a
      // large (or sparse: new Array(2e8)) array must not make submit() walk it.
      const end = Math.min(arg.length, ARRAY_ELEMENTS_LOOKED_AT);
      for (let j = 0; j < end; j++) {
        if (!isFuture(arg[j])) continue;
        throw forgottenAwait(
          mapItems
            ? `Element ${j} of an item given to map()`
            : `Element ${j} of argument ${i} of this call`,
        );
      }
    }
  }
}

function forgottenAwait(which: string): TypeError {
  return new TypeError(
    `${which} is a Future. A Future cannot travel to a worker (it would arrive as {}): ` +
      'pass its value instead, with `await future` (or `await Promise.all(futures)` for several) ' +
      'before the call.',
  );
}
