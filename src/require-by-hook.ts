// A module that import() refuses for its extension ("Unknown file extension") while a CommonJS
// hook knows it: `--require ts-node/register` compiles .ts for require() alone. The pools' workers
// and the EventLoopExecutor then require it, shaped as import() shapes a CommonJS module.

import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Requires file URL `specifier` if a require() hook knows its extension; otherwise throws `error`. */
export function requireByHook(specifier: string, error: unknown): Record<string, unknown> {
  if ((error as { code?: unknown } | null)?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
  if (!specifier.startsWith('file:')) throw error;
  const path = fileURLToPath(specifier);
  const nodeModule = process.getBuiltinModule('node:module') as unknown as {
    _extensions: Record<string, unknown>;
    createRequire(from: string): (id: string) => unknown;
  };
  if (!(extname(path) in nodeModule._extensions)) throw error;
  const exported = nodeModule.createRequire(path)(path) as Record<string, unknown>;
  return { ...exported, default: exported };
}
