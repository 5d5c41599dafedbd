// Inside a worker: turn a CallableDef back into a function. A function sent by source is compiled
// once per worker, in the worker's global scope; a module function is imported once.

import type { CallableDef } from '../protocol/messages.js';
import { applyLazyLoaders } from './loaders.js';

type AnyFunction = (...args: unknown[]) => unknown;

/** Compiles a function's source text. Method shorthand (`name(x) { … }`) is not an expression: wrap it. */
export function compileSource(source: string, name: string): AnyFunction {
  // esbuild (inside tsx, vite, …) keeps function names by wrapping inner functions in a module-level
  // `__name(fn, "name")` helper that the source text does not carry: give the worker the same helper.
  if (source.includes('__name(') && !('__name' in globalThis)) {
    Object.defineProperty(globalThis, '__name', {
      value: (target: object, value: string) =>
        Object.defineProperty(target, 'name', { value, configurable: true }),
      configurable: true,
      writable: true,
    });
  }
  let compiled: unknown;
  try {
    compiled = new Function(`return (${source}\n);`)();
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    try {
      const holder = new Function(`return ({ ${source}\n });`)() as Record<string, unknown>;
      compiled = Object.values(holder)[0];
    } catch {
      throw new SyntaxError(
        `The function ${name ? `"${name}" ` : ''}could not be rebuilt from its source text in the worker (${error.message}). ` +
          `Submit a plain function, arrow or method that is self-contained, or export it from a module and submit fromModule(...).`,
        { cause: error },
      );
    }
  }
  if (typeof compiled !== 'function') {
    throw new TypeError(
      `The source sent for ${name ? `"${name}"` : 'the submitted function'} did not evaluate to a function.`,
    );
  }
  return compiled as AnyFunction;
}

/** Imports a module's export, failing with an error that names both the module and the export. */
export async function importExport(module: string, exportName: string): Promise<AnyFunction> {
  let namespace: Record<string, unknown>;
  try {
    await applyLazyLoaders(); // the parent's TypeScript loader, before this worker's first import
    namespace = (await import(module)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(
      `Could not import module ${module} for its export "${exportName}": ${(error as Error)?.message ?? error}${typeScriptHint(module, error)}`,
      {
        cause: error,
      },
    );
  }
  const exported = namespace[exportName];
  if (typeof exported !== 'function') {
    const available = Object.keys(namespace).filter((key) => typeof namespace[key] === 'function');
    throw new TypeError(
      exported === undefined
        ? `Module ${module} has no export named "${exportName}" (its function exports: ${available.join(', ') || 'none'}).`
        : `Export "${exportName}" of module ${module} is not a function (it is ${typeof exported}).`,
    );
  }
  return exported as AnyFunction;
}

/**
 * A TypeScript module that a worker cannot load: the parent's loader did not reach this worker (on
 * Node 20, tsx registers itself in the main thread only, so `--import tsx` gives worker threads
 * nothing). Say how to register it in each worker.
 */
function typeScriptHint(module: string, error: unknown): string {
  if (
    (error as { code?: string })?.code !== 'ERR_UNKNOWN_FILE_EXTENSION' ||
    !/\.[cm]?ts$/.test(module)
  )
    return '';
  return (
    `. This worker has no TypeScript loader: register one in every worker with the initializer option, ` +
    `e.g. initializer: fromModule('tsx/esm/api', 'register'), or submit the compiled JavaScript module.`
  );
}

/** A function ready to call, or the promise of one (a module still importing), or why it cannot be had. */
export type Resolved = AnyFunction | Promise<AnyFunction>;

export function resolveCallable(def: CallableDef): Resolved {
  if (def.kind === 'module') return importExport(def.module, def.exportName);
  try {
    return compileSource(def.source, def.name);
  } catch (error) {
    const failed = Promise.reject(error);
    failed.catch(() => undefined); // rejected on purpose: each call of it fails with this error
    return failed;
  }
}

/**
 * A ReferenceError from a function sent by source almost always means it read a variable of the
 * scope it was written in, which does not travel. Say so, and how to fix it.
 */
export function explainFreeVariable(error: unknown, def: CallableDef): unknown {
  if (def.kind !== 'source' || !(error instanceof ReferenceError)) return error;
  const match = /^(\S+) is not defined$/.exec(error.message);
  if (match === null) return error;
  const fnName = def.name ? `"${def.name}"` : 'the submitted function';
  const fixed = new ReferenceError(
    `${fnName} uses "${match[1]}", which is not defined in the worker. A function sent to a worker travels by its ` +
      `source text, without the variables around it: pass "${match[1]}" as an argument, import it inside the ` +
      `function with await import(), or export the function from a module and submit fromModule(new URL('./module.js', import.meta.url), '${def.name || 'name'}').`,
    { cause: error },
  );
  fixed.stack = `${fixed.name}: ${fixed.message}\n${(error.stack ?? '').split('\n').slice(1).join('\n')}`;
  return fixed;
}
