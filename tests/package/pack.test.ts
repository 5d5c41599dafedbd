// The package as users get it: `npm pack` a clean copy of the repository (so `prepack` must build
// dist/, as on a fresh clone), install the tarball into an empty project, then use it from ESM
// (import) and from CommonJS (require: the CommonJS build), run one call on every executor from
// each, mix futures of both builds, and compile the type tests against the installed types with
// TypeScript 5.4, 5.9 and 7, module nodenext and node16, from an ES module and a CommonJS module.
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
let packed: Packed;

let scripts = 0;

/**
 * Runs `script` as a file of the installed project (not `node -e`: worker threads inherit the
 * parent's execArgv, and `--input-type` makes a worker fail) and parses the last line it prints.
 */
async function nodeEval(script: string, inputType: 'module' | 'commonjs'): Promise<unknown> {
  const file = join(app, `script-${++scripts}.${inputType === 'module' ? 'mjs' : 'cjs'}`);
  write(app, { [file.slice(app.length + 1)]: script });
  const { code, stdout, stderr } = await run(process.execPath, [file], app);
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
}, 180_000);

afterAll(() => removeWorkspace(workspace));

test('prepack built both builds into the tarball, worker entries and types included, and no tests', () => {
  expect(packed.files).toEqual(
    expect.arrayContaining([
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/worker/thread-entry.js',
      'dist/worker/process-entry.js',
      'dist/cjs/package.json',
      'dist/cjs/index.js',
      'dist/cjs/index.d.ts',
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
    const first = await esm.wait([a, b, c], { returnWhen: esm.ALL_COMPLETED, timeout: 200 });
    a.setResult('esm');
    const order = [];
    for await (const f of cjs.asCompleted([a, b, c])) order.push(await f.result());
    await pool.shutdown();
    console.log(JSON.stringify({
      distinctClasses: esm.Future !== cjs.Future,
      doneBeforeA: first.done.size,
      values: order.sort(),
      instanceof: [a instanceof cjs.Future, b instanceof esm.Future, c instanceof esm.Future, {} instanceof esm.Future],
    }));
  `;
  expect(await nodeEval(script, 'module')).toEqual({
    distinctClasses: true,
    doneBeforeA: 2,
    values: [2, 'cjs', 'esm'],
    instanceof: [true, true, true, false],
  });
});

// ── Types ───────────────────────────────────────────────────────────────────────────────────

const compilers: Array<[string, string]> = [
  ['5.4', 'typescript-5.4'],
  ['5.9', 'typescript'],
  ['7', 'typescript-7'],
];

describe.each(compilers)(
  'TypeScript %s compiles the type tests against the installed types',
  (_version, pkg) => {
    test.each(['nodenext', 'node16'])(
      'module %s, as ESM and as CommonJS, strict',
      async (module) => {
        const typeTests = readFileSync(join(root, 'tests/types/public-api.test-d.ts'), 'utf8');
        const project = join(app, `types-${pkg}-${module}`);
        write(project, {
          'api.mts': typeTests,
          'api.cts': typeTests,
          // Only what a user's own tsconfig would say: no "types", no "lib", no "typeRoots".
          'tsconfig.json': JSON.stringify({
            compilerOptions: {
              target: 'ES2022',
              module,
              moduleResolution: module,
              strict: true,
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
  },
);
