// Calling a `fromModule()` reference on the event loop: the module is imported once (the import
// is shared by every export of it), and each export, once found, is kept so that later calls find
// it synchronously, with no promise hop.

import type { ModuleFunction } from '../callable.js';
import { isInheritedBuiltin } from '../commonjs-export.js';
import { barePathHint } from '../bare-path-hint.js';
import { resolvePackageSpecifier } from '../resolve-package.js';
import { describe } from '../validate.js';
import { importModule } from './import-module.js';

type AnyFunction = (...args: unknown[]) => unknown;

const modules = new Map<string, Promise<Record<string, unknown>>>();
const functions = new Map<string, AnyFunction>();

/** The exported function, synchronously when it was loaded before; rejects with an error naming the module and the export. */
export function loadModuleFunction(ref: ModuleFunction): AnyFunction | Promise<AnyFunction> {
  return functions.get(keyOf(ref)) ?? findExport(ref);
}

async function findExport(ref: ModuleFunction): Promise<AnyFunction> {
  let namespace: Record<string, unknown>;
  try {
    // A package name is found from process.cwd(), as the application finds it, not from this library.
    namespace = await importOnce(resolvePackageSpecifier(ref.module));
  } catch (error) {
    throw new Error(
      `Cannot call export "${ref.exportName}" of module ${ref.module}: the module could not be imported (${messageOf(error)}).` +
        barePathHint(ref.module, error),
      { cause: error },
    );
  }
  // A CommonJS module whose exports Node cannot list (`module.exports = { add }`, or TypeScript a
  // loader compiled to CommonJS) has them only on its default export, `module.exports`.
  const commonJs = namespace.default;
  const fromCommonJs =
    !(ref.exportName in namespace) &&
    ((typeof commonJs === 'object' && commonJs !== null) || typeof commonJs === 'function') &&
    ref.exportName in commonJs &&
    !isInheritedBuiltin(commonJs, ref.exportName);
  if (!(ref.exportName in namespace) && !fromCommonJs) {
    const names = Object.keys(namespace);
    if (typeof commonJs === 'object' && commonJs !== null) names.push(...Object.keys(commonJs));
    // A TypeError, as the pools' workers say it: the export is not a function because it is not there.
    throw new TypeError(
      `Module ${ref.module} has no export "${ref.exportName}"` +
        (names.length > 0 ? ` (it exports: ${names.join(', ')}).` : ' (it exports nothing).'),
    );
  }
  const fn = fromCommonJs
    ? (commonJs as Record<string, unknown>)[ref.exportName]
    : namespace[ref.exportName];
  if (typeof fn !== 'function') {
    throw new TypeError(
      `Export "${ref.exportName}" of module ${ref.module} is not a function: it is ${describe(fn)}.`,
    );
  }
  functions.set(keyOf(ref), fn as AnyFunction);
  return fn as AnyFunction;
}

function importOnce(specifier: string): Promise<Record<string, unknown>> {
  let loading = modules.get(specifier);
  if (loading === undefined) {
    loading = importModule(specifier);
    modules.set(specifier, loading);
    // A failed import is not kept, so the module can be fixed and tried again; the caller reports it.
    loading.catch(() => modules.delete(specifier));
  }
  return loading;
}

function keyOf(ref: ModuleFunction): string {
  return `${ref.module}\0${ref.exportName}`;
}

/** Its message, read by shape: under jest, import()'s errors are of another realm's Error. */
function messageOf(error: unknown): string {
  try {
    const message = (error as { message?: unknown } | null | undefined)?.message;
    if (typeof message === 'string') return message;
  } catch {
    // A throwing getter: described as a value below.
  }
  return describe(error);
}
