// A pool whose parent runs under a TypeScript loader (tsx, ts-node with its ESM setup) gives its
// workers the loader lazily: calls sent by source never load it; the first import of a module
// (fromModule) applies it, in threads and child processes alike, so a .ts module (also named by
// its .js name, the README's form) loads. Observed from inside the workers: tsx hooks require()
// for .ts files wherever it is registered; ts-node requires a marker module (fixtures/tsconfig.json)
// wherever it registers, which logs the process and thread. TypeScript in a CommonJS package
// (fixtures/commonjs) loads too, though its exports come through as a default export alone, and
// under `--require ts-node/register`, whose hook compiles .ts for require() only.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

const run = promisify(execFile);
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));

interface Probe {
  where: string;
  execArgv: string[];
  tsHooked: boolean;
  instrumented: boolean;
  nodeOptions: string | undefined;
}
interface Report {
  parent: string;
  bySource: Probe;
  afterImport: Probe;
  doubled: number;
  doubledTs: number;
  markersBefore: string[];
  markersAfterSource: string[];
  markersAfterImport: string[];
}

/** What `npx ts-node` runs: ts-node's own script, node's main entry. */
const tsNodeCommand = createRequire(import.meta.url).resolve('ts-node/dist/bin.js');

const LOADERS = {
  tsx: ['--import', 'tsx'],
  'ts-node': ['--loader', 'ts-node/esm'],
} as const;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cf-loaders-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runParent(
  nodeArgs: readonly string[],
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Report> {
  const log = join(dir, `markers-${Math.random().toString(36).slice(2)}.log`);
  const { stdout, stderr } = await run(
    process.execPath,
    ['--no-warnings', ...nodeArgs, 'parent.ts', ...args],
    { cwd: fixtures, timeout: 60_000, env: { ...process.env, LOADER_MARKER_LOG: log, ...env } },
  );
  expect(stderr).toBe('');
  return JSON.parse(stdout.trim().split('\n').pop()!) as Report;
}

/** The marker lines written by the workers (not by the parent process's own ts-node). */
function workerMarkers(report: Report, markers: string[], kind: string): string[] {
  // A child logs its own pid. A thread shares the parent's pid: everything past the parent's own
  // registration (its main thread's hooks thread) comes from the pool.
  return kind === 'process'
    ? markers.filter((line) => !line.startsWith(`${report.parent}:`))
    : markers.slice(report.markersBefore.length);
}

describe.each(Object.entries(LOADERS))('parent under %s', (loader, nodeArgs) => {
  test.each(['thread', 'process'])(
    '%s pool: a call by source never loads the loader; fromModule of a .ts module applies it and works',
    async (kind) => {
      const report = await runParent(nodeArgs, [kind, 'default']);
      expect(report.bySource.execArgv).toEqual(['--no-warnings']);
      if (loader === 'tsx') {
        expect(report.bySource.tsHooked).toBe(false);
        expect(report.afterImport.tsHooked).toBe(true);
      } else {
        expect(workerMarkers(report, report.markersAfterSource, kind)).toEqual([]);
        expect(workerMarkers(report, report.markersAfterImport, kind)).toHaveLength(1);
      }
      expect(report.doubled).toBe(42); // tasks.js names tasks.ts
      expect(report.doubledTs).toBe(8);
    },
    90_000,
  );
});

test.each(Object.entries(LOADERS))(
  'under %s, an explicit execArgv is used as given: the child loads the loader at start',
  async (loader, nodeArgs) => {
    const report = await runParent(nodeArgs, ['process', 'explicit']);
    expect(report.bySource.execArgv).toEqual(['--no-warnings', ...nodeArgs]);
    if (loader === 'tsx') expect(report.bySource.tsHooked).toBe(true);
    else expect(workerMarkers(report, report.markersAfterSource, 'process')).toHaveLength(1);
    expect(report.doubled).toBe(42);
  },
  90_000,
);

test.each(['thread', 'process'])(
  '%s pool: an instrumentation --require preload still runs before the first call',
  async (kind) => {
    const report = await runParent(
      ['--require', './preload.cjs', ...LOADERS.tsx],
      [kind, 'default'],
    );
    expect(report.bySource.instrumented).toBe(true);
    expect(report.bySource.execArgv).toEqual(['--no-warnings', '--require', './preload.cjs']);
    expect(report.bySource.tsHooked).toBe(false);
  },
  90_000,
);

test.each(['thread', 'process'])(
  "%s pool: a loader in NODE_OPTIONS is applied lazily too, and taken out of the workers' NODE_OPTIONS",
  async (kind) => {
    const report = await runParent([], [kind, 'default'], {
      NODE_OPTIONS: '--import tsx --require ./preload.cjs',
    });
    expect(report.bySource.tsHooked).toBe(false);
    expect(report.bySource.instrumented).toBe(true);
    expect(report.bySource.nodeOptions).toBe('--require ./preload.cjs');
    expect(report.afterImport.tsHooked).toBe(true);
    expect(report.doubled).toBe(42);
  },
  90_000,
);

// TypeScript in a CommonJS package (fixtures/commonjs): tsx compiles it to module.exports, which
// an import sees as the default export alone (the workers found "no export named" its functions);
// ts-node's register hook compiles .ts for require() alone, and import() refused the extension
// ("Unknown file extension") in every executor, the main thread's too.
// Under a CommonJS hook alone, the .js name of a .ts module (the README's form) was not found:
// "Cannot find module" from the EventLoopExecutor (tsx) or from every executor (ts-node).
test.each([
  ['--import tsx', LOADERS.tsx, ['commonjs-probe.mts']],
  ['--require ts-node/register', ['--require', 'ts-node/register'], ['commonjs/probe.ts']],
  [
    '--require tsx/cjs, by its .js name',
    ['--require', 'tsx/cjs'],
    ['commonjs/probe.ts', 'tasks.js'],
  ],
  [
    '--require ts-node/register, by its .js name',
    ['--require', 'ts-node/register'],
    ['commonjs/probe.ts', 'tasks.js'],
  ],
  // The ts-node command (its README's form): it runs as node's script and puts itself into
  // execArgv. Before, threads got no loader ("Unknown file extension"), children its whole CLI.
  ['the ts-node command', [tsNodeCommand], ['commonjs/probe.ts']],
  ['the ts-node command, by its .js name', [tsNodeCommand], ['commonjs/probe.ts', 'tasks.js']],
] as const)(
  'under %s, TypeScript in a CommonJS package: its exports by name, in every executor',
  async (_loader, nodeArgs, probe) => {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--no-warnings', ...nodeArgs, ...probe],
      {
        cwd: fixtures,
        timeout: 60_000,
      },
    );
    expect(stderr).toBe('');
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({
      ThreadPoolExecutor: 15,
      ProcessPoolExecutor: 15,
      EventLoopExecutor: 15,
    });
  },
);

test("no loader in the parent: tsx's CommonJS hook as the initializer, as the docs advise for a CommonJS package", async () => {
  // tsx's ESM hook (tsx/esm/api) met such a .ts module as CommonJS and failed with
  // ERR_REQUIRE_CYCLE_MODULE; its CommonJS hook compiles .ts for require(), which the workers use
  // when import() refuses the extension.
  const { stdout, stderr } = await run(
    process.execPath,
    ['--no-warnings', 'commonjs/initializer-probe.cjs'],
    { cwd: fixtures, timeout: 60_000 },
  );
  expect(stderr).toBe('');
  expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({
    ThreadPoolExecutor: 15,
    ProcessPoolExecutor: 15,
  });
});

test('under ts-node, children transpile only (they do not type-check again) and its --loader warning prints once, in the parent', async () => {
  const { stdout, stderr } = await run(process.execPath, ['--loader', 'ts-node/esm', 'parent.ts'], {
    cwd: join(fixtures, 'type-checked'),
    timeout: 90_000,
  });
  expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ children: 2, answers: [42, 42] });
  expect(stderr.match(/ExperimentalWarning/g)).toHaveLength(1);
}, 120_000);
