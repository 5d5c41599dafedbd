// A module that import() cannot load while a CommonJS hook can. `--require ts-node/register` (or
// `tsx/cjs`) compiles .ts for require() alone: import() refuses the extension ("Unknown file
// extension"), and the README's `tasks.js` name of a `tasks.ts` is not found at all ("Cannot find
// module"), since only an ESM hook maps one to the other. The pools' workers and the
// EventLoopExecutor then require the TypeScript file, shaped as import() shapes a CommonJS module.

import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The TypeScript files a JavaScript name may stand for, as TypeScript's own resolution maps them. */
const TYPESCRIPT_NAMES: Record<string, readonly string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};

/** Requires file URL `specifier` if a require() hook can load it; otherwise throws `error`. */
export function requireByHook(specifier: string, error: unknown): Record<string, unknown> {
  const code = (error as { code?: unknown } | null)?.code;
  if (!specifier.startsWith('file:')) throw error;
  const nodeModule = process.getBuiltinModule('node:module') as unknown as {
    _extensions: Record<string, unknown>;
    createRequire(from: string): NodeJS.Require;
  };
  let path = fileURLToPath(specifier);
  if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
    if (!(extname(path) in nodeModule._extensions)) throw error;
  } else if (code === 'ERR_MODULE_NOT_FOUND' && !existsSync(path)) {
    // Not a module that exists and failed to find something of its own.
    const extension = extname(path);
    const stem = path.slice(0, path.length - extension.length);
    const typescript = (TYPESCRIPT_NAMES[extension] ?? [])
      .filter((candidate) => candidate in nodeModule._extensions)
      .map((candidate) => stem + candidate)
      .find((candidate) => existsSync(candidate));
    if (typescript === undefined) throw error;
    path = typescript;
  } else {
    throw error;
  }
  const exported = nodeModule.createRequire(path)(path) as Record<string, unknown>;
  return { ...exported, default: exported };
}
