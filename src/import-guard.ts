// A module that submits to a pool at its top level, and is itself imported by that pool's workers
// (`fromModule(import.meta.url, 'work')`): each worker's import submits again, starting a pool of its
// own, whose workers import the module... A hunt saw 97 processes (or 95 threads and 1.2 GB) after
// 6 s, nothing printed, never ending. Python refuses the same mistake at once (its "bootstrapping
// phase" RuntimeError, and the `if __name__ == '__main__':` idiom). Here a worker marks the time it
// imports a module for a call or an initializer, and a pool refuses a submit made meanwhile.
//
// The mark is on globalThis under a registered symbol: the worker's bundled runtime sets it, and the
// copy of this package the user's module imports reads it. (A submit by another call of the same
// worker while the import is under way is refused too: a window of the import's length.)

const IMPORTING = Symbol.for('concurrent-futures.importingForCall');

interface Importing {
  count: number;
  module: string;
}

type Marked = { [IMPORTING]?: Importing };

/** Runs `load` (an import of `module` for a call) with the mark set. */
export async function importingForCall<T>(module: string, load: () => Promise<T>): Promise<T> {
  const global = globalThis as Marked;
  const mark = (global[IMPORTING] ??= { count: 0, module });
  mark.count++;
  mark.module = module;
  try {
    return await load();
  } finally {
    if (--mark.count === 0) delete global[IMPORTING];
  }
}

/** Throws if a worker of a pool is importing a module for a call right now (see above). */
export function refuseSubmitWhileImported(): void {
  const mark = (globalThis as Marked)[IMPORTING];
  if (mark === undefined) return;
  throw new Error(
    `A call was submitted to a pool while a pool's worker imported ${mark.module} for a call: that ` +
      'module submits at its top level, so every worker that imports it would start a pool of its ' +
      'own, and so on without end. Run the code that submits only in the main module: move the ' +
      'functions the workers call into a module of their own, or guard the top-level code with ' +
      '`if (import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href)` (ESM) or ' +
      '`if (require.main === module)` (CommonJS), as Python needs `if __name__ == "__main__":` ' +
      '(the guide\'s "The __main__ guard").',
  );
}
