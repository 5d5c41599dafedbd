// Inside a worker: turn a CallableDef back into a function. A function sent by source is compiled
// once per worker, in the worker's global scope; a module function is imported once.

import { existsSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFunction, constants } from 'node:vm';
import type { CallableDef } from '../protocol/messages.js';
import { applyLazyLoaders } from './loaders.js';
import { toolHelperAdvice, toolHelpersFor } from './tool-helpers.js';
import { describeError } from '../describe-error.js';
import { requireByHook } from '../require-by-hook.js';
import { isInheritedBuiltin } from '../commonjs-export.js';
import { barePathHint } from '../bare-path-hint.js';
import { importingForCall } from '../import-mark.js';
import {
  ArrayPrototypeJoin,
  ArrayPrototypeSlice,
  NativeProxy,
  NativeString,
  NativeReferenceError,
  NativeSyntaxError,
  NativeTypeError,
  NativeError,
  ObjectCreate,
  ObjectGetOwnPropertyDescriptor,
  ReflectApply,
  ReflectOwnKeys,
  RegExpPrototypeExec,
  StringPrototypeIncludes,
  StringPrototypeIndexOf,
  StringPrototypeSplit,
  ignoreRejection,
  inheritsFrom,
  regExpTest,
} from './intrinsics.js';

type AnyFunction = (...args: unknown[]) => unknown;

// Captured at load, as intrinsics.ts does: a call may replace process.cwd, or break it (in a worker
// thread Node's own process.cwd() reads the global Atomics). Then the last directory read serves.
const processCwd = process.cwd;
let lastCwd = ReflectApply(processCwd, process, []) as string;
function cwd(): string {
  try {
    lastCwd = ReflectApply(processCwd, process, []) as string;
  } catch {
    // Broken by a call: keep the last one.
  }
  return lastCwd;
}

/**
 * Compiles a function body in this worker's global scope. Not `new Function`: V8 keeps every source
 * compiled by eval or `new Function` in its compilation cache, for good (100 MB of distinct
 * functions stayed 100 MB after the worker let them go), so the worker's bound on the functions it
 * keeps would bound nothing. `vm.compileFunction` is not cached. Its `import()` goes through the
 * application's default loader, so a package name resolves from process.cwd() as in the application.
 */
function compileBody(
  body: string,
  name: string,
  params: string[],
): (...args: unknown[]) => unknown {
  if (!importWarningQuietened && regExpTest(MAY_IMPORT, body)) quietenImportWarningOnce();
  return compileFunction(body, params, {
    // A path in the working directory, as the application's own modules are: import() resolves
    // relative paths and package names from there (a name with a scheme would be taken for a URL).
    // Joined by hand: Node's path.join uses Array.prototype.push, which a call may have replaced.
    filename: inDirectory(cwd(), `[${name || 'anonymous'} sent by source]`),
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  }) as (...args: unknown[]) => unknown;
}

function inDirectory(directory: string, file: string): string {
  return directory[directory.length - 1] === sep ? directory + file : directory + sep + file;
}

let importWarningQuietened = false;

/**
 * Source that may reach import(): the word itself, or code built at run time (eval, Function). Only
 * such a source pays for the quietening below, whose own import() starts this thread's ESM loader
 * (~1 ms, on the first result's path); a function without them cannot trigger the warning.
 */
const MAY_IMPORT = /import|eval|Function/;

/**
 * Node 20 flags `USE_MAIN_CONTEXT_DEFAULT_LOADER` as experimental and warns, once per thread, at the
 * first `import()` it serves. That warning is about how this library compiles functions, not about
 * the user's code: an `import()` made here, once, with that one warning held back, uses it up.
 */
function quietenImportWarningOnce(): void {
  importWarningQuietened = true;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: unknown, ...rest: unknown[]): void {
    // Captured built-ins: an earlier call may have replaced String or String.prototype.includes.
    const text = NativeString((warning as Error)?.message ?? warning);
    if (StringPrototypeIncludes(text, 'USE_MAIN_CONTEXT_DEFAULT_LOADER')) return;
    ReflectApply(emitWarning, this, [warning, ...rest]);
  } as typeof process.emitWarning;
  try {
    const importer = compileFunction('return import("node:path")', [], {
      importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    }) as () => Promise<unknown>;
    ignoreRejection(importer());
  } catch {
    // No such loader here: the compile below reports what is wrong.
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** `import(specifier)` exactly as a function sent by source runs it (vitest's stand-in for import()). */
let sourceImportFunction: AnyFunction | undefined;
function sourceImport(): AnyFunction {
  return (sourceImportFunction ??= compileBody('return import(specifier);', 'import', [
    'specifier',
  ]));
}

/** Compiles a function's source text. Method shorthand (`name(x) { … }`) is not an expression: wrap it. */
export function compileSource(source: string, name: string): AnyFunction {
  // Names that compilers and coverage tools write into functions, given as parameters (tool-helpers.ts).
  const helpers = toolHelpersFor(source, sourceImport);
  // Only a source that mentions `this` pays for the receiver below; the rest compile as they are.
  const receiver = regExpTest(/\bthis\b/, source) ? receiverThatDoesNotTravel(name) : undefined;
  let compiled: unknown;
  try {
    // Called with the receiver as `this`, so that an arrow function's `this` is the receiver too.
    // Reflect.apply as captured at load: a call may have replaced Function.prototype.call.
    compiled = ReflectApply(
      compileBody(`return (${source}\n);`, name, helpers.names),
      receiver,
      helpers.values,
    );
  } catch (error) {
    if (!inheritsFrom(error, NativeSyntaxError.prototype)) throw error;
    try {
      const holder = ReflectApply(
        compileBody(`return ({ ${source}\n });`, name, helpers.names),
        receiver,
        helpers.values,
      ) as Record<string, unknown>;
      compiled = ObjectGetOwnPropertyDescriptor(holder, ReflectOwnKeys(holder)[0]!)?.value;
    } catch {
      throw new NativeSyntaxError(
        `The function ${name ? `"${name}" ` : ''}could not be rebuilt from its source text in the worker (${(error as SyntaxError).message}). ` +
          `Submit a plain function, arrow or method that is self-contained, or export it from a module and submit fromModule(...).`,
        { cause: error },
      );
    }
  }
  if (typeof compiled !== 'function') {
    throw new NativeTypeError(
      `The source sent for ${name ? `"${name}"` : 'the submitted function'} did not evaluate to a function.`,
    );
  }
  if (receiver === undefined) return compiled as AnyFunction;
  const method = compiled as AnyFunction;
  return function calledWithoutItsObject(...args: unknown[]) {
    return ReflectApply(method, receiver, args);
  };
}

/**
 * The `this` of a function sent by source. A method travels by its source text alone, without its
 * object: called plainly, a sloppy-mode method would read `this.factor` off the worker's global and
 * return NaN with no error. This receiver makes any use of `this` throw an error that says why.
 */
function receiverThatDoesNotTravel(name: string): object {
  const refuse = (): never => {
    throw new NativeTypeError(
      `${name ? `"${name}"` : 'The submitted function'} uses \`this\`, which does not travel to a worker: a function ` +
        `is sent by its source text alone, without the object it was a method of. Pass what it needs from ` +
        `\`this\` as arguments, or export it from a module and submit fromModule(...).`,
    );
  };
  return new NativeProxy(ObjectCreate(null) as object, {
    get: refuse,
    set: refuse,
    has: refuse,
    deleteProperty: refuse,
    defineProperty: refuse,
    ownKeys: refuse,
    getOwnPropertyDescriptor: refuse,
    getPrototypeOf: refuse,
    setPrototypeOf: refuse,
  });
}

/** Imports a module's export, failing with an error that names both the module and the export. */
export async function importExport(module: string, exportName: string): Promise<AnyFunction> {
  let namespace: Record<string, unknown>;
  try {
    await applyLazyLoaders(); // the parent's TypeScript loader, before this worker's first import
    namespace = await importingForCall(module, () => importOrRequire(module));
  } catch (error) {
    const pathHint = barePathHint(module, error);
    throw new NativeError(
      `Could not import module ${module} for its export "${exportName}": ${describeError(error)}` +
        typeScriptHint(module, error) +
        (pathHint === '' ? '' : `.${pathHint}`),
      {
        cause: error,
      },
    );
  }
  const exported = exportOf(namespace, exportName);
  if (typeof exported !== 'function') {
    const available: string[] = [];
    for (const exports of [namespace, commonJsExports(namespace)]) {
      if (exports === undefined) continue;
      const keys = ReflectOwnKeys(exports);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (typeof key === 'string' && key !== 'default' && typeof exports[key] === 'function')
          available[available.length] = key;
      }
    }
    throw new NativeTypeError(
      exported === undefined
        ? `Module ${module} has no export named "${exportName}" (its function exports: ${ArrayPrototypeJoin(available, ', ') || 'none'}).`
        : `Export "${exportName}" of module ${module} is not a function (it is ${typeof exported}).`,
    );
  }
  return exported as AnyFunction;
}

/** import(), or require() where only a CommonJS hook can load the module (see requireByHook). */
async function importOrRequire(module: string): Promise<Record<string, unknown>> {
  try {
    return (await import(module)) as Record<string, unknown>;
  } catch (error) {
    return requireByHook(module, error);
  }
}

/**
 * `namespace[exportName]`, or, when the module has no such named export, the property of that name
 * of its default export where that is a CommonJS module's `module.exports`: Node lists a CommonJS
 * module's exports only when it can see them statically, so `module.exports = { add, double }`, or
 * TypeScript that a loader compiled to CommonJS, has its functions on the default export alone.
 */
function exportOf(namespace: Record<string, unknown>, exportName: string): unknown {
  const named = namespace[exportName];
  if (named !== undefined || exportName === 'default') return named;
  const exports = commonJsExports(namespace);
  if (exports === undefined || isInheritedBuiltin(exports, exportName)) return undefined;
  return exports[exportName];
}

/** The default export when it may be a CommonJS `module.exports` (an object or a function). */
function commonJsExports(namespace: Record<string, unknown>): Record<string, unknown> | undefined {
  const exports = namespace.default;
  return (typeof exports === 'object' && exports !== null) || typeof exports === 'function'
    ? (exports as Record<string, unknown>)
    : undefined;
}

/**
 * A TypeScript module that a worker cannot load: the parent's loader did not reach this worker (on
 * Node 20, tsx registers itself in the main thread only, so `--import tsx` gives worker threads
 * nothing). Say how to register it in each worker.
 */
function typeScriptHint(module: string, error: unknown): string {
  const code = (error as { code?: string } | null | undefined)?.code;
  const unknownExtension =
    code === 'ERR_UNKNOWN_FILE_EXTENSION' && regExpTest(/\.[cm]?ts$/, module);
  // The README's form, `new URL('./tasks.js', import.meta.url)` beside a tasks.ts: only a loader
  // maps the .js name to the .ts file; without one it is just "Cannot find module".
  const jsNameOfTs =
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    hasTypeScriptSibling(module);
  if (!unknownExtension && !jsNameOfTs) return '';
  return (
    (jsNameOfTs ? `. A TypeScript module sits beside that .js name` : '') +
    `. This worker has no TypeScript loader: register one in every worker with the initializer option, ` +
    `e.g. initializer: fromModule('tsx/esm/api', 'register') (in a CommonJS package, 'tsx/cjs/api'), ` +
    `or submit the compiled JavaScript module.`
  );
}

/** Whether a file module named `x.js` (or .mjs, .cjs) has an `x.ts` (.mts, .cts, .tsx) beside it. */
function hasTypeScriptSibling(module: string): boolean {
  try {
    const path = module.startsWith('file:') ? fileURLToPath(module) : module;
    const match = RegExpPrototypeExec(/^(.*)\.([cm]?)js$/, path);
    if (match === null) return false;
    const [, stem, flavour] = match;
    return existsSync(`${stem}.${flavour}ts`) || (flavour === '' && existsSync(`${stem}.tsx`));
  } catch {
    return false;
  }
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

/** Whether `source` has `name` as a whole identifier (not inside a longer one). */
function usesName(source: string, name: string): boolean {
  const identifierChar = /[\p{ID_Continue}$\u200c\u200d]/u;
  for (
    let at = StringPrototypeIndexOf(source, name, 0);
    at >= 0;
    at = StringPrototypeIndexOf(source, name, at + 1)
  ) {
    const before = at > 0 ? source[at - 1]! : '';
    const after = at + name.length < source.length ? source[at + name.length]! : '';
    if (!regExpTest(identifierChar, before) && !regExpTest(identifierChar, after)) return true;
  }
  return false;
}

/**
 * A ReferenceError from a function sent by source almost always means it read a variable of the
 * scope it was written in, which does not travel. Say so, and how to fix it.
 */
export function explainFreeVariable(error: unknown, def: CallableDef): unknown {
  if (def.kind !== 'source' || !inheritsFrom(error, NativeReferenceError.prototype)) return error;
  const match = RegExpPrototypeExec(/^(\S+) is not defined$/, (error as Error).message);
  // Only a name the function itself uses: a module it imports may fail the same way, and a call
  // may throw such an error on purpose; neither is a variable left behind.
  if (match === null || !usesName(def.source, match[1]!)) return error;
  const fnName = def.name ? `"${def.name}"` : 'the submitted function';
  const advice = toolHelperAdvice(match[1]!);
  const fixed = new NativeReferenceError(
    advice !== undefined
      ? `${fnName} cannot run in the worker: ${advice}`
      : `${fnName} uses "${match[1]}", which is not defined in the worker. A function sent to a worker travels by its ` +
          `source text, without the variables around it: pass "${match[1]}" as an argument, import it inside the ` +
          `function with await import(), or export the function from a module and submit fromModule(new URL('./module.js', import.meta.url), '${def.name || 'name'}').`,
    { cause: error },
  );
  const stackLines = StringPrototypeSplit((error as Error).stack ?? '', '\n');
  fixed.stack = `${fixed.name}: ${fixed.message}\n${ArrayPrototypeJoin(ArrayPrototypeSlice(stackLines, 1), '\n')}`;
  return fixed;
}
