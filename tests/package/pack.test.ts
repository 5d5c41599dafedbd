// The package as users get it: `npm pack` the built package, install the tarball into an empty
// project, then import it from ESM, require() it from CommonJS (require(esm), Node >= 20.19, works
// only while the package has no top-level await), and type-check a file against its types.
//
// Runs offline when npm's cache holds p-queue (it does after `npm ci`), else fetches it from the
// registry. Needs the built dist/ (`npm test` builds first).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const quietNpm = {
  ...process.env,
  npm_config_loglevel: 'error',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};

let workspace: string;
let app: string;
let packedFiles: string[];

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    env: quietNpm,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: process.platform === 'win32',
    timeout: 60_000,
  });
}

/** Runs `node -e script` inside the installed project and parses the last line it prints as JSON. */
function nodeEval(script: string, inputType: 'module' | 'commonjs'): unknown {
  const output = run(process.execPath, [`--input-type=${inputType}`, '-e', script], app);
  return JSON.parse(output.trim().split('\n').pop()!);
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).');
  }
  workspace = mkdtempSync(join(tmpdir(), 'concurrent-futures-pack-'));
  const packed = JSON.parse(
    run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', workspace], root),
  ) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const tarball = join(workspace, packed[0]!.filename);
  packedFiles = packed[0]!.files.map((file) => file.path);

  app = join(workspace, 'app');
  mkdirSync(app);
  // type: module, so that tsc (NodeNext) reads check.ts below as ESM and resolves `exports` as an
  // importer; the `node -e` scripts say their own input type.
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'pack-check', private: true, version: '1.0.0', type: 'module' }),
  );
  run(
    npm,
    ['install', tarball, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'],
    app,
  );
}, 120_000);

afterAll(() => {
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

test('the tarball holds the built entry, its types and package.json, and no tests', () => {
  expect(packedFiles).toEqual(
    expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts']),
  );
  expect(
    packedFiles.filter((path) => path.startsWith('tests/') || path.startsWith('node_modules/')),
  ).toEqual([]);
});

test('ESM: import { Future, wait, FIRST_COMPLETED } from the installed package works', () => {
  const script = `
    import { Future, wait, asCompleted, FIRST_COMPLETED, CancelledError } from 'concurrent-futures';
    const a = new Future();
    const b = new Future();
    b.cancel();
    const { done, notDone } = await wait([a, b], { returnWhen: FIRST_COMPLETED });
    a.setResult(42);
    const order = [];
    for await (const f of asCompleted([a, b])) order.push(f === a ? 'a' : 'b');
    const cancelled = await b.result().catch((e) => e instanceof CancelledError);
    console.log(JSON.stringify({ done: done.has(b), notDone: notDone.has(a), value: await a, order, cancelled }));
  `;
  expect(nodeEval(script, 'module')).toEqual({
    done: true,
    notDone: true,
    value: 42,
    order: ['a', 'b'],
    cancelled: true,
  });
});

test('CommonJS: require() of the installed package gives the same exports', () => {
  const script = `
    const cf = require('concurrent-futures');
    const f = new cf.Future();
    f.setResult('ok');
    f.result().then((value) => {
      console.log(JSON.stringify({ keys: Object.keys(cf).sort(), value, wait: typeof cf.wait }));
    });
  `;
  const esmKeys = nodeEval(
    `const cf = await import('concurrent-futures'); console.log(JSON.stringify(Object.keys(cf).sort()));`,
    'module',
  ) as string[];
  const required = nodeEval(script, 'commonjs') as { keys: string[]; value: string; wait: string };
  expect(required.value).toBe('ok');
  expect(required.wait).toBe('function');
  expect(required.keys).toEqual(
    esmKeys.filter((key) => key !== 'default' && key !== 'module.exports'),
  );
  expect(esmKeys).toEqual(
    expect.arrayContaining(['Future', 'wait', 'asCompleted', 'FIRST_COMPLETED', 'Executor']),
  );
});

test('TypeScript: the installed types check a user file, and are not any', () => {
  writeFileSync(
    join(app, 'check.ts'),
    `import { Future, wait, asCompleted, FIRST_COMPLETED, type FutureState } from 'concurrent-futures';
export async function check(): Promise<number> {
  const a = new Future<number>();
  const b = new Future<string>();
  const state: FutureState = a.state;
  const { done } = await wait([a, b], { returnWhen: FIRST_COMPLETED, timeout: 10 });
  for await (const f of asCompleted([a])) {
    const value: number = await f.result();
    void value;
  }
  // @ts-expect-error a Future<number> does not give a string
  const wrong: string = await a;
  void wrong;
  void state;
  return done.size + (await a);
}
`,
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023', 'ESNext.Disposable'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
      },
      files: ['check.ts'],
    }),
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  let output = '';
  try {
    output = run(process.execPath, [tsc, '-p', app], app);
  } catch (error) {
    output = String((error as { stdout?: string }).stdout ?? error);
  }
  expect(output).toBe('');
}, 60_000);
