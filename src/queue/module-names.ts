// How a module is named in a job, so that the same project checked out on two machines resolves it
// on both: a file is named by its path from the project root (the nearest directory with a
// package.json), written `./dir/file.js` with forward slashes; a package keeps its bare name.
// The producer names modules from its own project root; a host resolves names against its own.

import { existsSync, realpathSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The project root for an explicit `projectRoot` (producer) or `root` (host): it must be a
 * directory that exists, or every call would fail later with a module not found.
 */
export function checkedProjectRoot(given: string | undefined, option: string): string {
  if (given === undefined) return findProjectRoot(process.cwd());
  let isDirectory = false;
  try {
    isDirectory = statSync(given).isDirectory();
  } catch {
    // Missing, or not readable: said below.
  }
  if (!isDirectory) {
    throw new RangeError(
      `Expected \`${option}\` to be a directory that exists, got ${JSON.stringify(given)} ` +
        `(resolved from ${process.cwd()}). Give the directory of the project's package.json.`,
    );
  }
  return findProjectRoot(given);
}

/** The nearest directory, from `start` upwards, that holds a package.json (else `start` itself). */
export function findProjectRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(start);
    dir = parent;
  }
}

/** The path with its symbolic links resolved; the path itself when it cannot be (missing, unreadable). */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

/** A file path inside `root` as a job names it; undefined when the file is outside the root. */
function nameOfFile(path: string, root: string): string | undefined {
  // As given first (a module of the project that is a link to a file elsewhere keeps its name in
  // the project), then as real paths (a root reached through a link holds the real files).
  const rel =
    insideRoot(relative(root, path)) ?? insideRoot(relative(realPath(root), realPath(path)));
  return rel === undefined ? undefined : `./${toPosix(rel)}`;
}

function insideRoot(rel: string): string | undefined {
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? undefined : rel;
}

/**
 * The producer's side: the name under which a `fromModule()` module travels. Throws a TypeError
 * for a file outside the project root, which no host could find under the same name.
 */
export function jobModuleName(specifier: string, root: string): string {
  if (!specifier.startsWith('file:')) return specifier; // a package name: hosts resolve it themselves
  const path = fileURLToPath(specifier);
  const name = nameOfFile(path, root);
  if (name === undefined) {
    throw new TypeError(
      `The module ${path} is outside the project root ${root}, so no worker host could find it under ` +
        `the same name. Modules travel by their path from the project root (the nearest directory with ` +
        `a package.json); move the module into the project, or set the QueueExecutor's \`projectRoot\`.`,
    );
  }
  return name;
}

/**
 * The host's side, for `--allow` entries: an absolute path, a `file:` URL, a path starting with
 * `./` or `../` (from the current directory, as a shell means it, else from the root) or a path
 * that exists under the root is a file; anything else is a package name.
 */
export function allowedName(entry: string, root: string, cwd = process.cwd()): string {
  let path: string | undefined;
  if (entry.startsWith('file:')) path = fileURLToPath(entry);
  else if (isAbsolute(entry)) path = entry;
  else if (entry.startsWith('./') || entry.startsWith('../')) {
    // From the current directory, as a shell means it; failing that, from the root (a host
    // started elsewhere with `root` set, e.g. startQueueWorker in another directory).
    const fromCwd = resolve(cwd, entry);
    path = existsSync(fromCwd) || !existsSync(join(root, entry)) ? fromCwd : join(root, entry);
  } else if (existsSync(join(root, entry))) path = join(root, entry);
  if (path === undefined) {
    // A package name; or a path written without `./` to a file not built yet, which would allow
    // nothing: every job would fail later with "not on its allow-list".
    if (!packageInstalled(entry, root)) {
      throw new TypeError(
        `--allow ${entry}: there is no file ${join(root, entry)} and no package ${packageNameOf(entry)} ` +
          `installed for the project root ${root}. Give the path of a module of the project, built ` +
          `before the host starts, or the name of an installed package.`,
      );
    }
    return entry;
  }
  // A typo here would allow nothing, and every job would fail later with "not on its allow-list".
  if (!existsSync(path)) {
    throw new TypeError(
      `--allow ${entry}: there is no file ${resolve(path)}. Give the path of a module of the project ` +
        `(from the current directory or the project root ${root}), built before the host starts.`,
    );
  }
  const name = nameOfFile(resolve(path), root);
  if (name === undefined) {
    throw new TypeError(
      `--allow ${entry}: the file ${path} is outside the project root ${root}. A host runs only ` +
        `modules of its project, named by their path from the root; pass --root to choose the root.`,
    );
  }
  return name;
}

/** `lodash` of `lodash/fp`, `@scope/pkg` of `@scope/pkg/sub`. */
function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Whether Node would find the package from `root`: a built-in, or in a node_modules up the tree. */
function packageInstalled(specifier: string, root: string): boolean {
  if (specifier.startsWith('node:') || isBuiltin(specifier)) return true;
  const name = packageNameOf(specifier);
  for (let dir = resolve(root); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', name))) return true;
    if (dirname(dir) === dir) return false;
  }
}

/** What a host passes to `fromModule()` for a job's module name. */
export function resolveJobModule(name: string, root: string): string {
  if (!name.startsWith('./')) return name;
  return pathToFileURL(join(root, name.slice(2))).href;
}
