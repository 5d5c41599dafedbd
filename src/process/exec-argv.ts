// What a worker (child process or thread) starts with when the user gave no execArgv: the
// parent's Node options, less two kinds of flags.
//
// - Flags of the main entry alone (`-e`, `-p`, `--input-type`, `--check`, `--interactive`,
//   `--test…`, `--watch…`): a worker has an entry of its own, and with these it dies before it is
//   ready (a one-liner run with `node --input-type=module -e` could use neither pool).
// - A TypeScript loader (tsx, ts-node): loading it costs every worker 70-100 ms (ts-node: seconds,
//   it type-checks the project again in each), while calls sent by source need no loader at all.
//   It is taken out of the flags and handed to the worker as steps to apply before it first imports
//   a module (src/worker/loaders.ts). Other preloads (instrumentation through --require/--import)
//   stay: they must run before any call.

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LOADERS_ENV, type LoaderStep } from '../worker/loaders.js';

export interface WorkerStartup {
  /** Node options to start the worker with. */
  execArgv: string[];
  /** The TypeScript loader to apply lazily in the worker, as steps; empty when there is none. */
  loaders: LoaderStep[];
  /** Whether `execArgv` differs from the parent's (so a thread must be given it explicitly). */
  changed: boolean;
  /**
   * NODE_OPTIONS less its TypeScript loader, when it had one (a thread re-reads NODE_OPTIONS from
   * its env, a child from its environment); undefined when NODE_OPTIONS needs no change.
   */
  nodeOptions?: string | undefined;
}

// Options of the main entry alone, and whether each takes a value.
const MAIN_ENTRY_ONLY = new Map<string, boolean>([
  ['-e', true],
  ['--eval', true],
  ['-p', true],
  ['--print', true],
  ['-pe', true],
  ['--input-type', true],
  ['-c', false],
  ['--check', false],
  ['-i', false],
  ['--interactive', false],
  ['--test', false],
  ['--watch', false],
  ['--watch-path', true],
  ['--watch-preserve-output', false],
  ['--test-name-pattern', true],
  ['--test-skip-pattern', true],
  ['--test-reporter', true],
  ['--test-reporter-destination', true],
  ['--test-concurrency', true],
  ['--test-timeout', true],
  ['--test-shard', true],
  ['--test-only', false],
  ['--experimental-test-coverage', false],
]);

const PRELOADS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/**
 * Splits Node options for a worker: drops the main entry's flags and, if `lazyLoaders`, takes a
 * known TypeScript loader out as steps (after `inherited`: steps this process itself received
 * lazily from its own pool, a pool inside a child, which it passes on).
 */
export function splitExecArgv(
  execArgv: readonly string[],
  lazyLoaders = true,
  inherited: LoaderStep[] = [],
  cwd = process.cwd(),
): WorkerStartup {
  const kept: string[] = [];
  const loaders: LoaderStep[] = [...inherited];
  let changed = false;
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const takesValue = MAIN_ENTRY_ONLY.get(name);
    if (takesValue !== undefined) {
      changed = true;
      if (takesValue && eq === -1) i++; // its value is the next element
      continue;
    }
    // The ts-node command puts its own script into execArgv (so that fork() children run through
    // it too): a child then started type-checking the project again, and a thread got no loader.
    const binKind = lazyLoaders ? tsNodeBinKind(arg) : undefined;
    if (binKind !== undefined) {
      const steps = loaderSteps(binKind, arg);
      if (steps !== undefined) {
        changed = true;
        for (const step of steps) {
          if (!loaders.some((known) => sameStep(known, step))) loaders.push(step);
        }
        continue;
      }
    }
    if (lazyLoaders && PRELOADS.has(name)) {
      const value = eq === -1 ? execArgv[i + 1] : arg.slice(eq + 1);
      const steps = value === undefined ? undefined : typeScriptLoaderSteps(name, value, cwd);
      if (steps !== undefined) {
        changed = true;
        for (const step of steps) {
          if (!loaders.some((known) => sameStep(known, step))) loaders.push(step);
        }
        if (eq === -1) i++;
        continue;
      }
    }
    kept.push(arg);
  }
  return { execArgv: kept, loaders, changed };
}

/**
 * Splits NODE_OPTIONS as node does: words apart by spaces; a double quote anywhere opens or closes
 * a quoted part, which may hold spaces and backslash escapes.
 */
export function nodeOptionsWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted && char === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else if (char === '"') {
      quoted = !quoted;
      word ??= '';
    } else if (!quoted && char === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

function joinNodeOptions(words: string[]): string {
  return words
    .map((word) => (/[\s"\\]/.test(word) ? `"${word.replace(/["\\]/g, '\\$&')}"` : word))
    .join(' ');
}

/** The split of `execArgv` plus the TypeScript loader of `nodeOptions` (NODE_OPTIONS). */
function splitWithNodeOptions(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
  inherited: LoaderStep[],
): WorkerStartup {
  const startup = splitExecArgv(execArgv, true, inherited);
  if (!nodeOptions) return startup;
  const fromEnv = splitExecArgv(nodeOptionsWords(nodeOptions), true, startup.loaders);
  if (!fromEnv.changed) return startup;
  return { ...startup, loaders: fromEnv.loaders, nodeOptions: joinNodeOptions(fromEnv.execArgv) };
}

let defaults: WorkerStartup | undefined;

/** The split of this process's own execArgv and NODE_OPTIONS (and inherited loaders), computed once. */
export function defaultWorkerStartup(): WorkerStartup {
  return (defaults ??= splitWithNodeOptions(
    process.execArgv,
    process.env.NODE_OPTIONS,
    inheritedSteps(),
  ));
}

/** The env option of a worker thread: only when NODE_OPTIONS had a TypeScript loader to take out. */
export function threadEnv(startup: WorkerStartup): NodeJS.ProcessEnv | undefined {
  return startup.nodeOptions === undefined
    ? undefined
    : withNodeOptions(process.env, startup.nodeOptions);
}

function withNodeOptions(env: NodeJS.ProcessEnv, nodeOptions: string): NodeJS.ProcessEnv {
  const copy: NodeJS.ProcessEnv = { ...env, NODE_OPTIONS: nodeOptions };
  if (nodeOptions === '') delete copy.NODE_OPTIONS;
  return copy;
}

/**
 * The execArgv and environment of a pool's child processes. An explicit execArgv is used as given,
 * less the main entry's flags (with it, a loader loads at start: the way to opt out). Otherwise the
 * parent's execArgv and the NODE_OPTIONS of the child's environment are split as above, and the
 * loader steps travel in the environment.
 */
export function childStartup(
  execArgv: string[] | undefined,
  env: NodeJS.ProcessEnv | undefined,
): { execArgv: string[]; env: NodeJS.ProcessEnv } {
  const base = env ?? process.env;
  if (execArgv !== undefined)
    return { execArgv: splitExecArgv(execArgv, false).execArgv, env: base };
  const startup =
    env === undefined
      ? defaultWorkerStartup()
      : splitWithNodeOptions(process.execArgv, env.NODE_OPTIONS, inheritedSteps());
  let childEnv = base;
  if (startup.nodeOptions !== undefined) childEnv = withNodeOptions(childEnv, startup.nodeOptions);
  if (startup.loaders.length > 0) {
    childEnv = { ...childEnv, [LOADERS_ENV]: JSON.stringify(startup.loaders) };
  } else if (childEnv[LOADERS_ENV] !== undefined) {
    childEnv = { ...childEnv };
    delete childEnv[LOADERS_ENV]; // a stale copy in a given env must not load a loader this pool has not
  }
  return { execArgv: startup.execArgv, env: childEnv };
}

function inheritedSteps(): LoaderStep[] {
  const text = process.env[LOADERS_ENV];
  if (!text) return [];
  try {
    return JSON.parse(text) as LoaderStep[];
  } catch {
    return [];
  }
}

function sameStep(a: LoaderStep, b: LoaderStep): boolean {
  return a.register === b.register && a.require === b.require && a.import === b.import;
}

const TSX_FILE =
  /[\\/]node_modules[\\/]tsx[\\/]dist[\\/](?:loader\.mjs|esm[\\/]index\.mjs|cjs[\\/]index\.cjs)$/;
const TS_NODE =
  /^ts-node\/(esm|register)(?:\.mjs|\/transpile-only(?:\.mjs)?|\/type-check|\/files)?$/;

/**
 * The steps that apply a known TypeScript loader given to a preload flag, or undefined if `value`
 * is not one (or cannot be resolved here: then the flag stays, as before).
 */
function typeScriptLoaderSteps(flag: string, value: string, cwd: string): LoaderStep[] | undefined {
  let kind: 'tsx' | 'ts-node-esm' | 'ts-node-cjs' | undefined;
  let from = join(cwd, 'noop.js'); // bare names resolve where node resolved them: from the cwd
  if (value === 'tsx' || value.startsWith('tsx/')) {
    kind = 'tsx';
  } else if (value.startsWith('data:')) {
    // The setups that tsx's and ts-node's docs give for Node 20's register(), inlined.
    if (/["'`]ts-node\/esm/.test(value)) kind = 'ts-node-esm';
    else if (/["'`]tsx(?:\/esm)?(?:\/api)?["'`]/.test(value)) kind = 'tsx';
  } else {
    const match = TS_NODE.exec(value);
    if (match !== null) {
      kind =
        match[1] === 'esm' || flag === '--loader' || flag === '--experimental-loader'
          ? 'ts-node-esm'
          : 'ts-node-cjs';
    } else {
      // The tsx command runs node with --import file:///…/tsx/dist/loader.mjs.
      const path = value.startsWith('file:') ? safeFileURLToPath(value) : value;
      if (path !== undefined && isAbsolute(path) && TSX_FILE.test(path)) {
        kind = 'tsx';
        from = path;
      }
    }
  }
  if (kind === undefined) return undefined;
  return loaderSteps(kind, from);
}

/** The ts-node command's own script, as it puts it into execArgv: which loader it stands for. */
function tsNodeBinKind(arg: string): 'ts-node-esm' | 'ts-node-cjs' | undefined {
  if (arg.startsWith('-') || !isAbsolute(arg)) return undefined;
  const match = /[\\/]ts-node[\\/]dist[\\/]bin(-[a-z]+)?\.js$/.exec(arg);
  if (match === null) return undefined;
  return match[1] === '-esm' ? 'ts-node-esm' : 'ts-node-cjs';
}

/** The lazy loader steps of a TypeScript loader, resolved from `from` (a file where node found it). */
function loaderSteps(
  kind: 'tsx' | 'ts-node-esm' | 'ts-node-cjs',
  from: string,
): LoaderStep[] | undefined {
  try {
    const resolve = createRequire(from).resolve;
    switch (kind) {
      case 'tsx':
        return [
          { import: esmExport(resolve('tsx/package.json'), './esm/api'), callRegister: true },
          { require: resolve('tsx/cjs/api'), callRegister: true },
        ];
      case 'ts-node-esm':
        // Workers transpile only: the parent has type-checked the project already.
        return [{ register: pathToFileURL(resolve('ts-node/esm/transpile-only')).href }];
      case 'ts-node-cjs':
        return [{ require: resolve('ts-node/register/transpile-only') }];
    }
  } catch {
    return undefined;
  }
}

/**
 * The URL of a package export under the `import` condition (require.resolve knows only `require`;
 * tsx's CommonJS build of its ESM API cannot register the hooks).
 */
function esmExport(packageJsonPath: string, subpath: string): string {
  const manifest = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as {
    exports?: Record<string, unknown>;
  };
  let target: unknown = manifest.exports?.[subpath];
  while (typeof target === 'object' && target !== null) {
    const conditions = target as Record<string, unknown>;
    target = conditions.import ?? conditions.node ?? conditions.default;
  }
  if (typeof target !== 'string') throw new Error(`no ${subpath} export for import`);
  return pathToFileURL(join(dirname(packageJsonPath), target)).href;
}

function safeFileURLToPath(url: string): string | undefined {
  try {
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
}
