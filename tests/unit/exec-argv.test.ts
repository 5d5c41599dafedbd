// How a worker's Node options are made from the parent's (src/process/exec-argv.ts): the main
// entry's flags are dropped in every spelling; a known TypeScript loader becomes steps resolved to
// absolute paths (ts-node in transpile-only mode); every other flag is kept in place.

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { nodeOptionsWords, splitExecArgv } from '../../src/process/exec-argv.js';

const resolve = createRequire(`${process.cwd()}/noop.js`).resolve;

test.each([
  [['--input-type=module', '-e', 'code'], []],
  [
    ['--input-type', 'module', '--eval', 'code', '--max-old-space-size=100'],
    ['--max-old-space-size=100'],
  ],
  [['-p', '1 + 1'], []],
  [['--print=1', '--check', '-i', '--watch', '--watch-path', 'src'], []],
  [['--test', '--test-reporter', 'spec', '--enable-source-maps'], ['--enable-source-maps']],
  [
    ['--require', './instrument.cjs', '--import', './otel.mjs'],
    ['--require', './instrument.cjs', '--import', './otel.mjs'],
  ],
])('%j → %j', (execArgv, kept) => {
  const split = splitExecArgv(execArgv);
  expect(split.execArgv).toEqual(kept);
  expect(split.loaders).toEqual([]);
  expect(split.changed).toBe(kept.length !== execArgv.length);
});

test.each([
  [['--import', 'tsx']],
  [['--import=tsx']],
  [['--loader', 'tsx']],
  [['--require', 'tsx/cjs']],
  [[`--import=${pathToFileURL(resolve('tsx')).href}`]], // what the tsx command passes
])('tsx in %j becomes lazy steps', (execArgv) => {
  const split = splitExecArgv(['--enable-source-maps', ...execArgv]);
  expect(split.execArgv).toEqual(['--enable-source-maps']);
  expect(split.loaders).toEqual([
    {
      import: expect.stringMatching(/^file:.*\/tsx\/dist\/esm\/api\/index\.mjs$/),
      callRegister: true,
    },
    { require: resolve('tsx/cjs/api'), callRegister: true },
  ]);
});

test.each([
  [['--loader', 'ts-node/esm'], 'esm'],
  [['--experimental-loader=ts-node/esm'], 'esm'],
  [
    [
      '--import',
      'data:text/javascript,import { register } from "node:module"; import { pathToFileURL } from "node:url"; register("ts-node/esm", pathToFileURL("./"));',
    ],
    'esm',
  ],
  [['-r', 'ts-node/register'], 'cjs'],
  [['--require=ts-node/register/transpile-only'], 'cjs'],
  // What the ts-node command puts into execArgv: its own script.
  [[resolve('ts-node/dist/bin.js')], 'cjs'],
  [[resolve('ts-node/dist/bin-esm.js')], 'esm'],
])('ts-node in %j becomes a transpile-only step', (execArgv, kind) => {
  const split = splitExecArgv(execArgv);
  expect(split.execArgv).toEqual([]);
  expect(split.loaders).toEqual(
    kind === 'esm'
      ? [{ register: pathToFileURL(resolve('ts-node/esm/transpile-only')).href }]
      : [{ require: resolve('ts-node/register/transpile-only') }],
  );
});

test('with lazy loaders off (an explicit execArgv), only the main entry flags go', () => {
  expect(splitExecArgv(['--import', 'tsx', '-e', 'x'], false)).toEqual({
    execArgv: ['--import', 'tsx'],
    loaders: [],
    changed: true,
  });
});

test('a loader that cannot be resolved from the cwd stays a flag', () => {
  const split = splitExecArgv(['--import', 'tsx'], true, [], '/');
  expect(split.execArgv).toEqual(['--import', 'tsx']);
  expect(split.loaders).toEqual([]);
});

test('NODE_OPTIONS words: spaces apart, double quotes hold spaces and escapes', () => {
  expect(nodeOptionsWords('--import tsx  --require "./a b.cjs" --title="x \\" y"')).toEqual([
    '--import',
    'tsx',
    '--require',
    './a b.cjs',
    '--title=x " y',
  ]);
});
