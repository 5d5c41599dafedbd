// For the package tests: pack the package, install the tarball into a fresh project as a user
// would, and run commands there. npm runs with --prefer-offline: after `npm ci` its cache holds
// every dependency, so nothing is fetched. Tools the user would install next to the package (jest,
// ts-jest, TypeScript, @types) are linked from this repository's node_modules rather than installed
// again, which keeps these tests offline and within a minute or two.

import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const quietEnv = {
  ...process.env,
  npm_config_loglevel: 'error',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};

export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (never throws for a non-zero exit; the test reads `code`). */
export function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  timeout = 120_000,
): Promise<Output> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd,
        env: { ...quietEnv, ...env },
        encoding: 'utf8',
        timeout,
        maxBuffer: 16 * 1024 * 1024,
        shell: process.platform === 'win32',
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function runNpm(args: string[], cwd: string): string {
  return execFileSync(npm, args, {
    cwd,
    env: quietEnv,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: process.platform === 'win32',
    timeout: 120_000,
  });
}

export function makeWorkspace(name: string): string {
  return mkdtempSync(join(tmpdir(), `concurrent-futures-${name}-`));
}

export function removeWorkspace(workspace: string | undefined): void {
  if (workspace) rmSync(workspace, { recursive: true, force: true });
}

export interface Packed {
  tarball: string;
  files: string[];
}

/**
 * `npm pack`. With `fromCleanCopy`, packs a copy of the repository without dist/ (and without
 * tests), so that npm's `prepack` has to build it, as on a fresh clone; the repository's own dist/,
 * which other test files are reading, is left alone. Otherwise packs the repository's dist/ as it is.
 */
export function pack(workspace: string, fromCleanCopy: boolean): Packed {
  let source = root;
  const args = ['pack', '--json', '--pack-destination', workspace];
  if (fromCleanCopy) {
    source = join(workspace, 'clean-copy');
    const skipped = new Set(['node_modules', 'dist', 'tests', 'benchmarks', 'coverage', '.git']);
    cpSync(root, source, {
      recursive: true,
      filter: (path) => {
        const relative = path.slice(root.length).split(/[\\/]/)[0] ?? '';
        return !skipped.has(relative);
      },
    });
    symlinkSync(join(root, 'node_modules'), join(source, 'node_modules'), 'junction');
  } else {
    args.push('--ignore-scripts');
  }
  const [packed] = JSON.parse(runNpm(args, source)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  return {
    tarball: join(workspace, packed!.filename),
    files: packed!.files.map((file) => file.path),
  };
}

/**
 * A fresh project in `dir` that installed the tarball (and with it p-queue), as `npm i` would,
 * and `extra` packages beside it (specifiers npm's cache must already hold).
 */
export function installProject(
  dir: string,
  tarball: string,
  packageJson: Record<string, unknown>,
  extra: string[] = [],
): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'user-project', private: true, version: '1.0.0', ...packageJson }),
  );
  runNpm(
    [
      'install',
      tarball,
      ...extra,
      '--prefer-offline',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
    ],
    dir,
  );
}

/** Makes `names` (tools a user would install beside the package) resolvable from `dir`. */
export function linkTools(dir: string, names: string[]): void {
  for (const name of names) {
    const target = join(dir, 'node_modules', name);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(root, 'node_modules', name), target, 'junction');
  }
}

export function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}
