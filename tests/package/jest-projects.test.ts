// Real jest projects in a temporary folder, set up the way users set them up, each installing the
// packed package and running calls by source on a ThreadPoolExecutor:
//
// - TypeScript with ts-jest's default (CommonJS) config, written by `ts-jest config:init` itself:
//   the package must load through require() inside jest's module system (no require(esm) there),
//   and the functions sent carry tsc's helpers (__awaiter, __importStar, __rest, require); the
//   EventLoopExecutor loads a fromModule() module there, where import() does not exist.
// - ES modules (`"type": "module"`, jest run with --experimental-vm-modules), plain JavaScript.
//
// Each runs without and with `--coverage` (jest's default coverageProvider, 'babel': istanbul
// counters in every function of the files under test, including those sent to the worker).

import { join } from 'node:path';
import {
  installProject,
  linkTools,
  makeWorkspace,
  pack,
  removeWorkspace,
  run,
  write,
} from './support.js';

let workspace: string;
let tarball: string;

const JEST_TOOLS = ['jest', 'ts-jest', 'typescript', '@types/jest', '@types/node'];

beforeAll(() => {
  workspace = makeWorkspace('jest');
  tarball = pack(workspace, false).tarball;
}, 120_000);

afterAll(() => removeWorkspace(workspace));

/** Runs jest in `project`; returns its report (jest prints it on stderr). */
async function jest(project: string, args: string[], nodeOptions: string[] = []): Promise<string> {
  const { code, stdout, stderr } = await run(
    process.execPath,
    [
      ...nodeOptions,
      join(project, 'node_modules/jest/bin/jest.js'),
      '--ci',
      '--no-watchman',
      // A cold pool under --coverage on a loaded machine can pass jest's 5 s default: the config
      // under test stays as its tool wrote it.
      '--testTimeout=30000',
      `--cacheDirectory=${join(project, '.jest-cache')}`,
      ...args,
    ],
    project,
  );
  const report = stdout + stderr;
  if (code !== 0) throw new Error(`jest exited with ${code}:\n${report}`);
  return report;
}

describe('a TypeScript project with ts-jest, CommonJS (the default config)', () => {
  let project: string;

  beforeAll(async () => {
    project = join(workspace, 'ts-jest-cjs');
    installProject(project, tarball, {});
    linkTools(project, JEST_TOOLS);
    const init = await run(
      process.execPath,
      [join(project, 'node_modules/ts-jest/cli.js'), 'config:init'],
      project,
    );
    if (init.code !== 0) throw new Error(init.stdout + init.stderr);
    write(project, {
      'src/shapes.ts': `export function area(shape: { kind: 'square' | 'circle'; size: number }): number {
  if (shape.kind === 'square') {
    return shape.size * shape.size;
  }
  return Math.round(Math.PI * shape.size * shape.size);
}

export async function describeShape(shape: { kind: string; size: number; color: string }) {
  const { kind, ...rest } = shape;
  const os = await import('node:os');
  await new Promise((resolve) => setTimeout(resolve, 1));
  return \`\${kind} \${JSON.stringify(rest)}\${os.EOL.length > 0 ? '' : '?'}\`;
}
`,
      'tests/shapes.test.ts': `import { resolve } from 'node:path';
import { EventLoopExecutor, fromModule, ThreadPoolExecutor, ProcessPoolExecutor } from 'concurrent-futures';
import { area, describeShape } from '../src/shapes';

const threads = new ThreadPoolExecutor({ maxWorkers: 1 });
const processes = new ProcessPoolExecutor({ maxWorkers: 1 });
afterAll(() => Promise.all([threads.shutdown(), processes.shutdown()]));

test('a function of the code under test, on a thread', async () => {
  await expect(threads.submit(area, { kind: 'square', size: 3 })).resolves.toBe(9);
  await expect(threads.submit(area, { kind: 'circle', size: 1 })).resolves.toBe(3);
});

test('an async function with rest and a dynamic import, on a thread and in a process', async () => {
  const shape = { kind: 'dot', size: 1, color: 'red' };
  await expect(threads.submit(describeShape, shape)).resolves.toBe('dot {"size":1,"color":"red"}');
  await expect(processes.submit(describeShape, shape)).resolves.toBe('dot {"size":1,"color":"red"}');
});

test('a function written in the test file', async () => {
  await expect(threads.submit(async (n: number) => n + 1, 1)).resolves.toBe(2);
});

test('the event loop runs an export of a TypeScript module (loaded through jest)', async () => {
  const loop = new EventLoopExecutor();
  const area = fromModule<typeof import('../src/shapes')['area']>(resolve(__dirname, '../src/shapes.ts'), 'area');
  await expect(loop.submit(area, { kind: 'square', size: 4 })).resolves.toBe(16);
  await loop.shutdown();
});
`,
    });
  }, 120_000);

  test('jest', async () => {
    expect(await jest(project, [])).toMatch(/Tests:\s+4 passed, 4 total/);
  }, 120_000);

  test('jest --coverage (istanbul)', async () => {
    const report = await jest(project, ['--coverage']);
    expect(report).toMatch(/Tests:\s+4 passed, 4 total/);
    expect(report).toMatch(/shapes\.ts/);
  }, 120_000);
});

describe('an ES module project (jest with --experimental-vm-modules)', () => {
  let project: string;

  beforeAll(() => {
    project = join(workspace, 'jest-esm');
    installProject(project, tarball, { type: 'module' });
    linkTools(project, ['jest']);
    write(project, {
      'jest.config.js': `export default { testEnvironment: 'node', transform: {} };\n`,
      'src/shapes.js': `export function area(shape) {
  if (shape.kind === 'square') {
    return shape.size * shape.size;
  }
  return Math.round(Math.PI * shape.size * shape.size);
}
`,
      'tests/shapes.test.js': `import { ThreadPoolExecutor } from 'concurrent-futures';
import { area } from '../src/shapes.js';

const threads = new ThreadPoolExecutor({ maxWorkers: 1 });
afterAll(() => threads.shutdown());

test('a function of the code under test, on a thread', async () => {
  await expect(threads.submit(area, { kind: 'square', size: 3 })).resolves.toBe(9);
  await expect(threads.submit(area, { kind: 'circle', size: 1 })).resolves.toBe(3);
});

test('a function written in the test file', async () => {
  await expect(threads.submit(async (n) => n + 1, 1)).resolves.toBe(2);
});
`,
    });
  }, 120_000);

  const vmModules = ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning'];

  test('jest', async () => {
    expect(await jest(project, [], vmModules)).toMatch(/Tests:\s+2 passed, 2 total/);
  }, 120_000);

  test('jest --coverage (istanbul)', async () => {
    const report = await jest(project, ['--coverage'], vmModules);
    expect(report).toMatch(/Tests:\s+2 passed, 2 total/);
    expect(report).toMatch(/shapes\.js/);
  }, 120_000);
});
