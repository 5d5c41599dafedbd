// A pool's workers start from a file of the package (dist/cjs/worker/*-entry.js), found from the
// pool's own code. An application bundle that copies the package's code in moves that code away
// from those files: every worker then died at start, and the pool broke with advice about the
// initializer and loaders. The constructor says what happened instead, once it finds no such file.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The entry file `relative` to a module of the package (its `import.meta.url`): undefined where
 * it cannot be named (a CommonJS bundle of the ESM build has no import.meta.url).
 */
export function workerEntry(relative: string, moduleUrl: string | undefined): string | undefined {
  try {
    return fileURLToPath(new URL(relative, moduleUrl));
  } catch {
    return undefined;
  }
}

const found = new Set<string>();

/** Throws if the worker entry `path` does not exist (checked once per file and process). */
export function checkWorkerEntry(path: string | undefined, executor: string): void {
  if (path !== undefined && found.has(path)) return;
  if (path === undefined || !existsSync(path)) {
    const where =
      path === undefined
        ? 'their entry file cannot be found (this code has no import.meta.url)'
        : `their entry file ${path} does not exist`;
    throw new Error(
      `This ${executor} cannot start its workers: ${where}. Most likely ` +
        'concurrent-futures was bundled into your application (esbuild, webpack, Rollup, Vite), which ' +
        'moves its code away from that file. Keep it external and install it next to the bundle ' +
        "(esbuild: --packages=external, or external: ['concurrent-futures']).",
    );
  }
  found.add(path);
}
