// Names each submitted function once per pool: a CallableDef with a small id. Workers receive a
// def once and are then sent only its id, so a function's source travels and compiles once per
// worker, not once per call.

import { isModuleFunction, type Callable } from '../callable.js';
import type { CallableDef } from '../protocol/messages.js';
import { resolvePackageSpecifier } from '../resolve-package.js';
import { functionName } from '../function-name.js';

/** Sources remembered for deduplication, at most (each may be kilobytes of text). */
const MAX_INTERNED = 1024;

export class CallableRegistry {
  readonly #byFunction = new WeakMap<object, CallableDef>();
  readonly #byKey = new Map<string, CallableDef>();
  #nextId = 0;

  /** The def for `fn`; throws a TypeError for a function that cannot travel (native or bound). */
  resolve(fn: Callable): CallableDef {
    const known = this.#byFunction.get(fn);
    if (known !== undefined) return known;
    let def: CallableDef;
    if (isModuleFunction(fn)) {
      // A package name is resolved here, where the application stands, not in the worker.
      const module = resolvePackageSpecifier(fn.module);
      def = this.#intern(`module:${module}#${fn.exportName}`, (id) => ({
        id,
        kind: 'module',
        module,
        exportName: fn.exportName,
      }));
    } else {
      const source = sourceOf(fn as (...args: unknown[]) => unknown);
      const name = functionName(fn); // never the user's getter: it may throw
      def = this.#intern(`source:${source}`, (id) => ({ id, kind: 'source', name, source }));
    }
    this.#byFunction.set(fn, def);
    return def;
  }

  #intern(key: string, make: (id: number) => CallableDef): CallableDef {
    let def = this.#byKey.get(key);
    if (def === undefined) {
      def = make(this.#nextId++);
      this.#byKey.set(key, def);
      // Bounded: the oldest source goes first (a Map iterates in insertion order). A function
      // still alive keeps its def through #byFunction; the same source met again later is simply
      // named anew, with a new id (ids are never reused, so no worker can mistake one for another).
      if (this.#byKey.size > MAX_INTERNED) this.#byKey.delete(this.#byKey.keys().next().value!);
    }
    return def;
  }
}

function sourceOf(fn: (...args: unknown[]) => unknown): string {
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    const name = functionName(fn);
    if (name.startsWith('bound ')) {
      throw new TypeError(
        `Cannot send the bound function "${name}" to a worker: a bound function has no source text to travel by. ` +
          `Submit the unbound function and pass what it was bound to as an argument, or use fromModule(...).`,
      );
    }
    throw new TypeError(
      `Cannot send the native function "${name || '(anonymous)'}" to a worker: it has no source text to travel by. ` +
        `Wrap it in a self-contained function, e.g. (x) => Math.sqrt(x).`,
    );
  }
  return source;
}

/** How error messages name the function of a def: `"isPrime"`, `"isPrime" from file:///…`, or "the submitted function". */
export function defName(def: CallableDef): string {
  if (def.kind === 'module') return `"${def.exportName}" from ${def.module}`;
  return def.name ? `"${def.name}"` : 'the submitted function';
}
