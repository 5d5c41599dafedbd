// What can be submitted: a function, or a reference to a function exported from a module.
// A reference travels to workers as (module URL, export name); the worker imports the module once
// and calls the export, as Python pickles a module-level function by its qualified name.

import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe } from './validate.js';
import { functionName } from './function-name.js';

declare const functionType: unique symbol;

/** A function exported from a module, named by reference (see `fromModule`). */
export interface ModuleFunction<F extends (...args: any[]) => any = (...args: any[]) => any> {
  /** A `file:` URL, or a package name the worker imports. */
  readonly module: string;
  readonly exportName: string;
  /** Carries the export's type for `submit` and `map`; never set at run time. */
  readonly [functionType]?: F;
}

/** A function or a module function reference taking `A` and returning `R`. */
export type Callable<A extends unknown[] = any[], R = unknown> =
  ((...args: A) => R) | ModuleFunction<(...args: A) => R>;

// One set per process, not per copy of this module: the CommonJS build bundles each entry (the
// package root and concurrent-futures/queue) with a copy of this file of its own, and a reference
// made by `require('concurrent-futures').fromModule` must be one that the QueueExecutor of
// `require('concurrent-futures/queue')` (and the ESM build) recognizes. Kept under a registered
// symbol, as Future's brand is.
const MODULE_FUNCTIONS = Symbol.for('concurrent-futures.moduleFunctions');
const moduleFunctions: WeakSet<object> = ((globalThis as Record<symbol, unknown>)[
  MODULE_FUNCTIONS
] ??= new WeakSet<object>()) as WeakSet<object>;

/**
 * Names the function `exportName` exported by `module` so that a worker imports it by reference.
 * `module` is a `file:` URL (string or `URL`), an absolute path, or a package name.
 *
 * ```ts
 * const isPrime = fromModule<typeof import('./primes.js')['isPrime']>(new URL('./primes.js', import.meta.url), 'isPrime');
 * ```
 */
export function fromModule<F extends (...args: any[]) => any = (...args: any[]) => any>(
  module: string | URL,
  exportName = 'default',
  // NoInfer: without it, `submit(fromModule(url), arg)` infers F from what submit expects and
  // lands on `(...args: never) => never`, which submit then refuses; untyped, F is the default.
): ModuleFunction<NoInfer<F>> {
  if (typeof exportName !== 'string' || exportName === '') {
    throw new TypeError(
      `Expected \`exportName\` to be a non-empty string, got ${describe(exportName)}.`,
    );
  }
  const reference = Object.freeze({ module: moduleSpecifier(module), exportName });
  moduleFunctions.add(reference);
  return reference as ModuleFunction<F>;
}

export function isModuleFunction(value: unknown): value is ModuleFunction {
  return typeof value === 'object' && value !== null && moduleFunctions.has(value);
}

function moduleSpecifier(module: unknown): string {
  if (module instanceof URL) {
    if (module.protocol !== 'file:') {
      throw new TypeError(
        `Expected \`module\` to be a file: URL, got ${module.href}. Workers import modules from files.`,
      );
    }
    return module.href;
  }
  if (typeof module !== 'string' || module === '') {
    throw new TypeError(
      `Expected \`module\` to be a file: URL, an absolute path or a package name, got ${describe(module)}.`,
    );
  }
  if (module.startsWith('file:')) return new URL(module).href;
  if (isAbsolute(module)) return pathToFileURL(module).href;
  if (module.startsWith('.')) {
    throw new TypeError(
      `fromModule(${JSON.stringify(module)}): a relative path means nothing inside a worker. ` +
        `Resolve it against your module instead: fromModule(new URL(${JSON.stringify(module)}, import.meta.url), ...).`,
    );
  }
  return module; // a package name (or node: builtin) that the worker resolves itself
}

/** Throws the TypeError `submit` owes a value that is neither a function nor a module function. */
export function checkCallable(fn: unknown): void {
  if (typeof fn === 'function' || isModuleFunction(fn)) return;
  throw new TypeError(
    `Expected a function or a fromModule() reference to call, got ${describe(fn)}.`,
  );
}

/** A readable name for error messages. */
export function callableName(fn: unknown): string {
  if (isModuleFunction(fn)) return `${fn.exportName} from ${fn.module}`;
  if (typeof fn === 'function' && functionName(fn)) return functionName(fn);
  return 'the submitted function';
}
