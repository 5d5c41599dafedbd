// A module that submits to a pool at its top level, and is itself imported by that pool's workers
// (`fromModule(import.meta.url, 'work')`): each worker's import submits again, starting a pool of its
// own, whose workers import the module... A hunt saw 97 processes (or 95 threads and 1.2 GB) after
// 6 s, nothing printed, never ending. Python refuses the same mistake at once (its "bootstrapping
// phase" RuntimeError, and the `if __name__ == '__main__':` idiom). Here a worker marks the time it
// imports a module for a call or an initializer, and a pool refuses a submit of that very module
// made meanwhile. (Code of the module that submits after its import has finished, such as an
// unawaited async main(), is not caught: the guide says to guard the top level.)
//
// The mark (import-mark.ts) is on globalThis under a registered symbol: the worker's bundled
// runtime sets it, and the copy of this package the user's module imports reads it.

import { isModuleFunction } from './callable.js';
import { modulesBeingImported } from './import-mark.js';

/**
 * Throws if `fn` names, by fromModule(), a module that this worker is importing for a call right
 * now: the module submits itself at its top level (see above). Any other submit goes on: a module
 * that precomputes with a pool of its own at its top level, a call that submits meanwhile.
 */
export function refuseSubmitWhileImported(fn: unknown): void {
  const importing = modulesBeingImported();
  if (importing === undefined || importing.size === 0 || !isModuleFunction(fn)) return;
  if (!importing.has(fn.module)) return;
  throw new Error(
    `A call of ${fn.module} was submitted to a pool while a pool's worker imported that module for ` +
      'a call: the module submits itself at its top level, so every worker that imports it would ' +
      'start a pool of its own, and so on without end. Run the code that submits only in the main ' +
      'module: move the functions the workers call into a module of their own, or guard the ' +
      'top-level code with `if (import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href)` ' +
      '(ESM) or `if (require.main === module)` (CommonJS), as Python needs ' +
      '`if __name__ == "__main__":` (the guide\'s "The __main__ guard").',
  );
}
