// The mark a worker sets while it imports a module for a call or an initializer (see
// import-guard.ts, which reads it). Its own file, importing nothing: the workers' bundled entries
// carry it, and what they load before their first call is paid at every start.

const IMPORTING = Symbol.for('concurrent-futures.importingForCall');

type Marked = { [IMPORTING]?: Map<string, number> };

/** Runs `load` (an import of `module` for a call) with the mark set. */
export async function importingForCall<T>(module: string, load: () => Promise<T>): Promise<T> {
  const global = globalThis as Marked;
  const importing = (global[IMPORTING] ??= new Map());
  importing.set(module, (importing.get(module) ?? 0) + 1);
  try {
    return await load();
  } finally {
    const left = importing.get(module)! - 1;
    if (left > 0) importing.set(module, left);
    else importing.delete(module);
  }
}

/** The modules this thread or process is importing for calls right now (undefined: none yet). */
export function modulesBeingImported(): ReadonlyMap<string, number> | undefined {
  return (globalThis as Marked)[IMPORTING];
}
