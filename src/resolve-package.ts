// A bare module name given to fromModule() ('some-package', '@scope/pkg/sub') names the package the
// application would import: looked up from process.cwd(), with the conditions of an ESM import. A
// worker left to resolve it itself would look from this library's own folder instead, which finds
// nothing under pnpm's strict layout, or another copy of the package. So the caller resolves it
// here, once per reference, to the file: URL the application would load, and workers import that.
//
// This follows Node's ESM resolution for packages (node_modules lookup up the folder tree, the
// package's own name, "exports" with conditions and subpath patterns, "main" for packages without
// "exports"). A name it cannot resolve is left as given: the worker's import then fails with an
// error naming the module, as for any module that cannot be found.

import { isBuiltin } from 'node:module';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The conditions of an ESM `import` in Node, and those the user added (see userConditions). */
let conditions: Set<string> | undefined;

function importConditions(): Set<string> {
  conditions ??= new Set(['node', 'import', 'default', 'module-sync', ...userConditions()]);
  return conditions;
}

/**
 * The conditions given to this process with `-C` / `--conditions` (`node -C development app.js`,
 * or in NODE_OPTIONS): the application's own imports use them, and a package named in fromModule()
 * must resolve to the file the application would load (its `development` export, say).
 */
function userConditions(): string[] {
  const found: string[] = [];
  const options = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    const inline = /^(?:--conditions|-C)=(.+)$/.exec(option);
    if (inline !== null) found.push(inline[1]!);
    else if ((option === '--conditions' || option === '-C') && i + 1 < options.length)
      found.push(options[++i]!);
  }
  return found;
}

/** `specifier` as the application at `process.cwd()` would import it: a file: URL, or as given. */
export function resolvePackageSpecifier(specifier: string, from = process.cwd()): string {
  if (isBuiltin(specifier) || specifier.includes(':')) return specifier;
  if (specifier.startsWith('#')) return resolvePackageImport(specifier, from);
  const match = /^((?:@[^/]+\/)?[^/]+)(\/.*)?$/.exec(specifier);
  if (match === null) return specifier;
  const name = match[1]!;
  const subpath = `.${match[2] ?? ''}`;
  try {
    const packageDir = findPackage(name, resolve(from));
    if (packageDir === undefined) return specifier;
    const file = resolveInPackage(packageDir, subpath);
    // Symlinks resolved as Node does, so the worker loads the very module the application would.
    return file === undefined ? specifier : pathToFileURL(realpathSync(file)).href;
  } catch {
    return specifier; // an unreadable or malformed package.json: let the import report it
  }
}

/**
 * A package import (`#tasks`, from the "imports" of the application's package.json): the nearest
 * package.json above `from`, as Node takes the importing module's. Left to the worker, it was
 * looked up in this library's own package.json, and the error named ours.
 */
function resolvePackageImport(specifier: string, from: string): string {
  try {
    for (let dir = resolve(from); ; dir = dirname(dir)) {
      const json = readPackageJson(dir) as (PackageJson & { imports?: unknown }) | undefined;
      if (json !== undefined) {
        const imports = json.imports;
        if (typeof imports !== 'object' || imports === null || Array.isArray(imports))
          return specifier;
        const target = mapTarget(imports as Record<string, unknown>, specifier);
        if (target === undefined) return specifier;
        return pathToFileURL(realpathSync(join(dir, target))).href;
      }
      if (dirname(dir) === dir) return specifier;
    }
  } catch {
    return specifier; // a target that is missing, or a malformed package.json: the import reports it
  }
}

/** The folder of package `name` as seen from `dir`: the project itself, or a node_modules up the tree. */
function findPackage(name: string, dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    const own = readPackageJson(current);
    if (own !== undefined) {
      // A package may import itself by its own name, but only through "exports".
      if (own.name === name && own.exports !== undefined) return current;
    }
    const candidate = join(current, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json')) || isDirectory(candidate)) return candidate;
    if (dirname(current) === current) return undefined;
  }
}

interface PackageJson {
  name?: string;
  main?: string;
  exports?: unknown;
}

function readPackageJson(dir: string): PackageJson | undefined {
  const path = join(dir, 'package.json');
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as PackageJson;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function resolveInPackage(packageDir: string, subpath: string): string | undefined {
  const json = readPackageJson(packageDir) ?? {};
  if (json.exports !== undefined && json.exports !== null) {
    const target = exportTarget(json.exports, subpath);
    return target === undefined ? undefined : join(packageDir, target);
  }
  if (subpath !== '.') return existing(join(packageDir, subpath));
  // No "exports": Node's legacy main lookup.
  const main = json.main === undefined ? undefined : join(packageDir, json.main);
  return (
    (main === undefined
      ? undefined
      : (existing(main) ??
        existing(`${main}.js`) ??
        existing(`${main}.json`) ??
        existing(join(main, 'index.js')))) ?? existing(join(packageDir, 'index.js'))
  );
}

function existing(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The relative target of `subpath` ('.' or './x') in a package's "exports", under the ESM conditions. */
function exportTarget(exports: unknown, subpath: string): string | undefined {
  const map = isSubpathMap(exports) ? (exports as Record<string, unknown>) : { '.': exports };
  return mapTarget(map, subpath);
}

/** The relative target of `subpath` in a map of "exports" or "imports" (exact, else the longest pattern). */
function mapTarget(map: Record<string, unknown>, subpath: string): string | undefined {
  if (Object.hasOwn(map, subpath) && !subpath.includes('*'))
    return conditionalTarget(map[subpath], undefined);
  // Subpath patterns ("./features/*.js"): the longest matching prefix wins, as in Node.
  let best: { key: string; match: string } | undefined;
  for (const key of Object.keys(map)) {
    const star = key.indexOf('*');
    if (star === -1) continue;
    const prefix = key.slice(0, star);
    const suffix = key.slice(star + 1);
    if (
      subpath.startsWith(prefix) &&
      subpath.endsWith(suffix) &&
      subpath.length >= key.length &&
      (best === undefined || prefix.length > best.key.indexOf('*'))
    ) {
      best = { key, match: subpath.slice(prefix.length, subpath.length - suffix.length) };
    }
  }
  return best === undefined ? undefined : conditionalTarget(map[best.key], best.match);
}

function isSubpathMap(exports: unknown): boolean {
  if (typeof exports !== 'object' || exports === null || Array.isArray(exports)) return false;
  return Object.keys(exports).some((key) => key.startsWith('.'));
}

function conditionalTarget(target: unknown, patternMatch: string | undefined): string | undefined {
  if (typeof target === 'string') {
    if (!target.startsWith('./')) return undefined;
    return patternMatch === undefined ? target : target.replaceAll('*', patternMatch);
  }
  if (Array.isArray(target)) {
    for (const candidate of target) {
      const found = conditionalTarget(candidate, patternMatch);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof target === 'object' && target !== null) {
    // Conditions are tried in the package's own order; the first one Node's import has wins.
    for (const [condition, value] of Object.entries(target)) {
      if (!importConditions().has(condition)) continue;
      const found = conditionalTarget(value, patternMatch);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
