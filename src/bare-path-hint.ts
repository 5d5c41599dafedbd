// `fromModule('src/tasks.js')`, without `./`, names the package `src`: the import fails with
// "Cannot find package 'src' imported from" this library's worker entry, which seems to blame the
// library. Refusing such names up front would refuse what a loader resolves (a tsconfig `paths`
// alias, `baseUrl`), so the hint is added only to the failure, and only when the name is the path
// of a file from the working directory.

import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** A sentence to add to the error of a failed import of `module`, or ''. */
export function barePathHint(module: string, error: unknown): string {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return '';
  if (module.includes(':') || module.startsWith('.') || isAbsolute(module)) return '';
  if (!existsSync(resolve(module))) return '';
  return (
    ` "${module}" reads as a package name, and there is no such package; it is the path of a file ` +
    `from the working directory. Name the file: fromModule(new URL(${JSON.stringify(`./${module}`)}, ` +
    'import.meta.url), ...) from the module beside it (a relative path means nothing inside a worker).'
  );
}
