// The package as users get it: `npm pack` a clean copy of the repository (so `prepack` must build
// dist/, as on a fresh clone), install the tarball into an empty project, then use it from ESM
// (import) and from CommonJS (require: the CommonJS build), run one call on every executor from
// each, mix futures of both builds, and compile the type tests against the installed types with
// TypeScript 5.4, 5.9 and 7, module nodenext and node16, from an ES module and a CommonJS module.
// The queue's side: the `concurrent-futures/queue` subpath from ESM and from CommonJS once the
// optional peers (bullmq 6, ioredis) are installed beside the package, the `concurrent-futures`
// bin through npx, and, in the project without the peers, the error that says what to install.
//
// Runs from npm's cache (see support.ts).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  installProject,
  linkTools,
  makeWorkspace,
  pack,
  removeWorkspace,
  root,
  run,
  write,
  type Packed,
} from './support.js';

let workspace: string;
let app: string;
/** A second project: the tarball plus the queue's optional peers. */
let queueApp: string;
let packed: Packed;

let scripts = 0;

/**
 * Runs `script` as a file of the installed project (not `node -e`: worker threads inherit the
 * parent's execArgv, and `--input-type` makes a worker fail) and parses the last line it prints.
 */
async function nodeEval(
  script: string,
  inputType: 'module' | 'commonjs',
  dir: string = app,
): Promise<unknown> {
  const file = join(dir, `script-${++scripts}.${inputType === 'module' ? 'mjs' : 'cjs'}`);
  write(dir, { [file.slice(dir.length + 1)]: script });
  const { code, stdout, stderr } = await run(process.execPath, [file], dir);
  if (code !== 0) throw new Error(`node exited with ${code}:\n${stderr}`);
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

beforeAll(() => {
  workspace = makeWorkspace('pack');
  packed = pack(workspace, true);
  app = join(workspace, 'app');
  installProject(app, packed.tarball, { type: 'module' });
  // What the README's Install section tells a TypeScript user to add.
  linkTools(app, ['@types/node']);
  write(app, {
    // A module function in each module system, for fromModule().
    'tasks.cjs': `const { currentSignal } = require('concurrent-futures');
exports.triple = (x) => x * 3;
exports.signalState = () => currentSignal().aborted;`,
    'tasks.mjs': `import { currentSignal } from 'concurrent-futures';
export const triple = (x) => x * 3;
export const signalState = () => currentSignal().aborted;`,
  });
  // The peers at the versions this repository's devDependencies installed, so npm's cache has
  // them (and everything they depend on) from `npm ci`.
  queueApp = join(workspace, 'queue-app');
  const peerVersion = (name: string): string =>
    (
      JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  write(queueApp, { 'tasks.cjs': 'exports.triple = (x) => x * 3;' });
  installProject(queueApp, packed.tarball, { type: 'module' }, [
    `bullmq@${peerVersion('bullmq')}`,
    `ioredis@${peerVersion('ioredis')}`,
  ]);
}, 240_000);

afterAll(() => removeWorkspace(workspace));

test('prepack built both builds into the tarball, worker entries and types included, and no tests', () => {
  expect(packed.files).toEqual(
    expect.arrayContaining([
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/worker/thread-entry.js',
      'dist/worker/process-entry.js',
      // The entries the pools start, bundled (scripts/build.mjs, WORKER_ENTRIES).
      'dist/cjs/worker/thread-entry.js',
      'dist/cjs/worker/process-entry.js',
      'dist/cjs/package.json',
      'dist/cjs/index.js',
      'dist/cjs/core.js',
      'dist/cjs/index.d.ts',
      'dist/queue/index.js',
      'dist/queue/index.d.ts',
      'dist/queue/cli.js',
      'dist/cjs/queue/index.js',
      'dist/cjs/queue/index.d.ts',
      'bin/concurrent-futures.js',
    ]),
  );
  expect(
    packed.files.filter((path) => path.startsWith('tests/') || path.startsWith('node_modules/')),
  ).toEqual([]);
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  expect(manifest.scripts.prepack).toMatch(/build/);
});

/** One call on every executor, by source and from a module, printed as JSON. */
function oneCallPerExecutor(load: string, moduleFile: string): string {
  return `${load}
const { ThreadPoolExecutor, ProcessPoolExecutor, EventLoopExecutor, fromModule } = cf;
const tasks = require('node:url').pathToFileURL(require('node:path').resolve(${JSON.stringify(moduleFile)}));
(async () => {
  const executors = [new ThreadPoolExecutor({ maxWorkers: 1 }), new ProcessPoolExecutor({ maxWorkers: 1 }), new EventLoopExecutor()];
  const out = {};
  for (const executor of executors) {
    const bySource = await executor.submit(async (x) => { await null; return x * 2; }, 21);
    const byModule = await executor.submit(fromModule(tasks, 'triple'), 5);
    const signal = await executor.schedule(fromModule(tasks, 'signalState'), { timeout: 60000 });
    out[executor.constructor.name] = [bySource, byModule, signal];
    await executor.shutdown();
  }
  console.log(JSON.stringify(out));
})();`;
}

const expectedCalls = {
  ThreadPoolExecutor: [42, 15, false],
  ProcessPoolExecutor: [42, 15, false],
  EventLoopExecutor: [42, 15, false],
};

test('ESM: one call per executor, by source and from an ES and a CommonJS module', async () => {
  const load = `import * as cf from 'concurrent-futures'; import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);`;
  expect(await nodeEval(oneCallPerExecutor(load, 'tasks.mjs'), 'module')).toEqual(expectedCalls);
  expect(await nodeEval(oneCallPerExecutor(load, 'tasks.cjs'), 'module')).toEqual(expectedCalls);
}, 60_000);

test('CommonJS: one call per executor, by source and from an ES and a CommonJS module', async () => {
  const load = `const cf = require('concurrent-futures');`;
  expect(await nodeEval(oneCallPerExecutor(load, 'tasks.cjs'), 'commonjs')).toEqual(expectedCalls);
  expect(await nodeEval(oneCallPerExecutor(load, 'tasks.mjs'), 'commonjs')).toEqual(expectedCalls);
}, 60_000);

test('CommonJS: require() gives the same exports as import, from the CommonJS build', async () => {
  const required = (await nodeEval(
    `const cf = require('concurrent-futures');
     console.log(JSON.stringify({ keys: Object.keys(cf).sort(), file: require.resolve('concurrent-futures') }));`,
    'commonjs',
  )) as { keys: string[]; file: string };
  const esmKeys = (await nodeEval(
    `const cf = await import('concurrent-futures'); console.log(JSON.stringify(Object.keys(cf).sort()));`,
    'module',
  )) as string[];
  expect(required.file).toMatch(/dist[\\/]cjs[\\/]index\.js$/);
  expect(required.keys).toEqual(esmKeys);
  expect(esmKeys).toEqual(
    expect.arrayContaining(['Future', 'wait', 'asCompleted', 'FIRST_COMPLETED', 'Executor']),
  );
});

test('futures of the ESM and the CommonJS builds are one kind: wait, asCompleted, instanceof', async () => {
  const script = `
    import { createRequire } from 'node:module';
    import * as esm from 'concurrent-futures';
    const cjs = createRequire(import.meta.url)('concurrent-futures');
    const a = new esm.Future();
    const b = new cjs.Future();
    const pool = new cjs.ThreadPoolExecutor({ maxWorkers: 1 });
    const c = pool.submit((x) => x + 1, 1);
    setTimeout(() => b.setResult('cjs'), 10);
    // No time limit that a slow thread start could pass: an ESM wait() for a CommonJS future and
    // a pool's, then one that only reads which are done.
    const waited = await esm.wait([b, c], { returnWhen: esm.ALL_COMPLETED });
    const first = await esm.wait([a, b, c], { returnWhen: esm.ALL_COMPLETED, timeout: 0 });
    a.setResult('esm');
    const order = [];
    for await (const f of cjs.asCompleted([a, b, c])) order.push(await f.result());
    await pool.shutdown();
    console.log(JSON.stringify({
      distinctClasses: esm.Future !== cjs.Future,
      waited: waited.done.size,
      doneBeforeA: first.done.size,
      values: order.sort(),
      instanceof: [a instanceof cjs.Future, b instanceof esm.Future, c instanceof esm.Future, {} instanceof esm.Future],
    }));
  `;
  expect(await nodeEval(script, 'module')).toEqual({
    distinctClasses: true,
    waited: 2,
    doneBeforeA: 2,
    values: [2, 'cjs', 'esm'],
    instanceof: [true, true, true, false],
  });
});

// ── The queue subpath and the CLI ─────────────────────────────────────────────────────────────

const queueExports = ['QueueExecutor', 'startQueueWorker'];

test('queue: import of concurrent-futures/queue (ESM build) with the peers installed', async () => {
  const imported = (await nodeEval(
    `const queue = await import('concurrent-futures/queue');
     const { fileURLToPath } = await import('node:url');
     console.log(JSON.stringify({
       keys: Object.keys(queue).sort(),
       types: [typeof queue.QueueExecutor, typeof queue.startQueueWorker],
       file: fileURLToPath(import.meta.resolve('concurrent-futures/queue')),
     }));`,
    'module',
    queueApp,
  )) as { keys: string[]; types: string[]; file: string };
  expect(imported.keys).toEqual(expect.arrayContaining(queueExports));
  expect(imported.types).toEqual(['function', 'function']);
  expect(imported.file).toMatch(/dist[\\/]queue[\\/]index\.js$/);
}, 60_000);

test('queue: require of concurrent-futures/queue (CommonJS build) with the peers installed', async () => {
  const required = (await nodeEval(
    `const queue = require('concurrent-futures/queue');
     const cf = require('concurrent-futures');
     // No server is needed: a QueueExecutor refuses a function by source at once, and hands back
     // a pending future for a module reference before it reaches Redis (ended by exit below).
     const executor = new queue.QueueExecutor({ connection: 'redis://127.0.0.1:1', queue: 'pack-test', unreachableTimeout: 60000 });
     let refused = '';
     try { executor.submit((x) => x, 1); } catch (error) { refused = error.constructor.name; }
     const future = executor.submit(cf.fromModule(require('node:url').pathToFileURL(require('node:path').resolve('tasks.cjs')), 'triple'), 1);
     // Both entries share one copy of the classes: an executor is an Executor, its errors are the root's.
     const cancelled = executor.submit(cf.fromModule('node:os', 'cpus'));
     const cancelledError = cancelled.cancel() ? cancelled.result().catch((error) => error) : Promise.resolve(undefined);
     cancelledError.then((error) => {
       console.log(JSON.stringify({
         keys: Object.keys(queue).sort(),
         file: require.resolve('concurrent-futures/queue'),
         refused,
         future: [future instanceof cf.Future, future.running() || !future.done()],
         shared: [executor instanceof cf.Executor, error instanceof cf.CancelledError],
       }));
       process.exit(0);
     });`,
    'commonjs',
    queueApp,
  )) as { keys: string[]; file: string; refused: string; future: boolean[]; shared: boolean[] };
  expect(required.keys).toEqual(expect.arrayContaining(queueExports));
  expect(required.file).toMatch(/dist[\\/]cjs[\\/]queue[\\/]index\.js$/);
  expect(required.refused).toBe('TypeError');
  expect(required.future).toEqual([true, true]);
  expect(required.shared).toEqual([true, true]);
}, 60_000);

test('queue: npx concurrent-futures --help and worker --help print the usage', async () => {
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  for (const args of [['--help'], ['worker', '--help']]) {
    const { code, stdout, stderr } = await run(
      npx,
      ['--offline', '--no-install', 'concurrent-futures', ...args],
      queueApp,
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/Usage: concurrent-futures worker --redis URL --queue NAME --allow/);
  }
}, 60_000);

test('queue: without the peers, the subpath and the CLI say what to install', async () => {
  const message = /needs the optional peer dependencies bullmq.*npm install bullmq@6 ioredis/s;
  const imported = (await nodeEval(
    `try { await import('concurrent-futures/queue'); console.log(JSON.stringify('loaded')); }
     catch (error) { console.log(JSON.stringify(error.message)); }`,
    'module',
  )) as string;
  expect(imported).toMatch(message);
  const required = (await nodeEval(
    `try { require('concurrent-futures/queue'); console.log(JSON.stringify('loaded')); }
     catch (error) { console.log(JSON.stringify(error.message)); }`,
    'commonjs',
  )) as string;
  expect(required).toMatch(message);
  // The package root still loads without them.
  expect(
    await nodeEval(
      `const cf = require('concurrent-futures'); console.log(JSON.stringify(typeof cf.Future));`,
      'commonjs',
    ),
  ).toBe('function');
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  const cli = await run(npx, ['--offline', '--no-install', 'concurrent-futures', '--help'], app);
  expect(cli.code).toBe(1);
  expect(cli.stderr).toMatch(message);
}, 60_000);

// ── Types ───────────────────────────────────────────────────────────────────────────────────

const compilers: Array<[string, string]> = [
  ['5.4', 'typescript-5.4'],
  ['5.9', 'typescript'],
  ['7', 'typescript-7'],
];

describe.each(compilers)(
  'TypeScript %s compiles the type tests against the installed types',
  (_version, pkg) => {
    // ES2017: a project whose target's lib has no ErrorOptions (ES2022) must still compile ours.
    // exactOptionalPropertyTypes: `tsc --init` turns it on; optional options must take undefined.
    test.each([
      ['nodenext', 'ES2022', false],
      ['node16', 'ES2022', false],
      ['nodenext', 'ES2017', false],
      ['nodenext', 'ES2022', true],
    ])(
      'module %s, target %s, as ESM and as CommonJS, strict (exactOptionalPropertyTypes: %s)',
      async (module, target, exactOptionalPropertyTypes) => {
        const typeTests = readFileSync(join(root, 'tests/types/public-api.test-d.ts'), 'utf8');
        const project = join(
          app,
          `types-${pkg}-${module}-${target}${exactOptionalPropertyTypes ? '-exact' : ''}`,
        );
        write(project, {
          'api.mts': typeTests,
          'api.cts': typeTests,
          // Only what a user's own tsconfig would say: no "types", no "lib", no "typeRoots".
          'tsconfig.json': JSON.stringify({
            compilerOptions: {
              target,
              module,
              moduleResolution: module,
              strict: true,
              exactOptionalPropertyTypes,
              noEmit: true,
              skipLibCheck: false,
            },
            files: ['api.mts', 'api.cts'],
          }),
        });
        const tsc = join(root, 'node_modules', pkg, 'bin', 'tsc');
        const { stdout, stderr } = await run(process.execPath, [tsc, '-p', project], project);
        expect(stdout + stderr).toBe('');
      },
      90_000,
    );

    test('an ESM app and a CommonJS library typed against the other build share one Future and Executor', async () => {
      // The library's types come from the CommonJS declarations, the app's from the ESM ones:
      // before they were one, passing an executor or waiting on futures of both did not compile.
      const project = join(app, `types-${pkg}-dual`);
      write(project, {
        'lib.cts': `import { Future, type Executor } from 'concurrent-futures';
export function doubleOn(executor: Executor, n: number): Future<number> {
  return executor.submit((x: number) => x * 2, n);
}
export const ready: Future<string> = new Future<string>();
`,
        'app.mts': `import { ThreadPoolExecutor, wait, type Future } from 'concurrent-futures';
import { doubleOn, ready } from './lib.cjs';
export async function main(): Promise<number> {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const mine: Future<number> = doubleOn(executor, 21);
  const { done } = await wait([mine, ready]);
  return done.size;
}
`,
        'tsconfig.json': JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'nodenext',
            moduleResolution: 'nodenext',
            strict: true,
            noEmit: true,
            skipLibCheck: false,
          },
          files: ['lib.cts', 'app.mts'],
        }),
      });
      const tsc = join(root, 'node_modules', pkg, 'bin', 'tsc');
      const { stdout, stderr } = await run(process.execPath, [tsc, '-p', project], project);
      expect(stdout + stderr).toBe('');
    }, 90_000);
  },
);
