// Inside a worker: the parent's TypeScript loader, applied only when the worker first imports a
// module (a fromModule call, an initializer by module). Calls that travel by source never need it,
// so a worker that only runs those never pays for it: loading tsx costs a child ~100 ms and a
// thread ~70 ms, ts-node's type-checking service far more (see docs/design.md, "Start-up").
//
// The parent decides what to apply (src/process/exec-argv.ts) and resolves every step to an
// absolute path, so that nothing here depends on where this library is installed. A child process
// finds the steps in its environment (LOADERS_ENV, which its own pools pass on to theirs); a worker
// thread in its workerData.

// Nothing is imported at the top: this module is on every worker's start-up path, and most
// workers never apply a loader (node:worker_threads alone cost a child ~1 ms to load).

/** The environment variable through which a child process receives its loader steps. */
export const LOADERS_ENV = 'CONCURRENT_FUTURES_TS_LOADERS';

/**
 * One step of applying a loader: import an ES module or require a CommonJS file (and call its
 * `register()` export, as tsx's APIs want), or register ESM hooks with `module.register()`.
 */
export interface LoaderStep {
  import?: string;
  require?: string;
  register?: string;
  callRegister?: boolean;
}

let applied: Promise<void> | undefined;

/** The steps given to this worker by its pool, or none. */
export async function lazyLoaderSteps(): Promise<LoaderStep[]> {
  const { isMainThread, workerData } = await import('node:worker_threads');
  if (!isMainThread) {
    return ((workerData as { loaders?: LoaderStep[] } | null)?.loaders ?? []) as LoaderStep[];
  }
  const text = process.env[LOADERS_ENV];
  if (!text) return [];
  try {
    return JSON.parse(text) as LoaderStep[];
  } catch {
    return [];
  }
}

/**
 * Applies the pool's TypeScript loader, once: every caller awaits the same promise. Resolves at
 * once when there is none.
 */
export function applyLazyLoaders(): Promise<void> {
  return (applied ??= lazyLoaderSteps().then(applySteps));
}

async function applySteps(steps: LoaderStep[]): Promise<void> {
  if (steps.length === 0) return;
  const { createRequire, register } = await import('node:module');
  const load = createRequire(import.meta.url);
  for (const step of steps) {
    try {
      if (step.register !== undefined) {
        register(step.register);
      } else {
        const loaded = (
          step.import !== undefined ? await import(step.import) : load(step.require!)
        ) as { register?: () => unknown };
        if (step.callRegister) loaded.register!();
      }
    } catch (error) {
      throw new Error(
        `This worker could not apply the TypeScript loader it inherited from its pool (${step.register ?? step.import ?? step.require}): ` +
          `${messageOf(error)}. Give the pool an explicit execArgv to load it at start instead, ` +
          `or submit the compiled JavaScript module.`,
        { cause: error },
      );
    }
  }
}

/** The error's message, never throwing (a loader may throw anything). Local: this file imports nothing. */
function messageOf(error: unknown): string {
  try {
    const message = (error as { message?: unknown } | null | undefined)?.message;
    return typeof message === 'string' ? message : String(error);
  } catch {
    return 'an error that cannot be described';
  }
}
