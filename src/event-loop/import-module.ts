// Loading a fromModule() module in this process, for the EventLoopExecutor.
//
// import() is the way, except where it does not exist: code run by a vm without a dynamic-import
// callback, which is how jest's CommonJS runtime (the default ts-jest setup) runs the CommonJS
// build of this package unless jest runs with --experimental-vm-modules. There the build falls
// back to the require() it was loaded with, which is jest's own (with its transforms, so a
// TypeScript module loads as the tests' own files do). The ES module build has no require() and
// reports the import's error as it is.

import { fileURLToPath } from 'node:url';
import { requireByHook } from '../require-by-hook.js';

const IMPORT_UNAVAILABLE = new Set([
  'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING',
  'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG',
]);

export async function importModule(specifier: string): Promise<Record<string, unknown>> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION' || code === 'ERR_MODULE_NOT_FOUND')
      return requireByHook(specifier, error);
    if (typeof require !== 'function' || !IMPORT_UNAVAILABLE.has(code as string)) throw error;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the fallback is require() itself
    const exported: unknown = require(
      specifier.startsWith('file:') ? fileURLToPath(specifier) : specifier,
    );
    // What import() would give: module.exports as the default export and its keys as names.
    if ((exported as { __esModule?: unknown } | null)?.__esModule) {
      return exported as Record<string, unknown>;
    }
    return { ...(exported as Record<string, unknown>), default: exported };
  }
}
