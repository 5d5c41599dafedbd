// Functions compiled by tools travel by source (the contract's ruling "Functions compiled by
// tools"): the real TypeScript compiler and the real istanbul instrumenter (jest's dependency, what
// `jest --coverage` and nyc run) compile a function here, and both pools run it as written.

import { createRequire } from 'node:module';
import ts from 'typescript';
import { ProcessPoolExecutor, ThreadPoolExecutor, type Executor } from 'concurrent-futures';

const require = createRequire(import.meta.url);

/** Evaluates CommonJS module text as Node would, and returns its exports. */
function evaluateCommonJs(code: string): Record<string, any> {
  const module = { exports: {} as Record<string, any> };
  new Function('exports', 'require', 'module', code)(module.exports, require, module);
  return module.exports;
}

/** What tsc makes of `text` for a CommonJS project, as ts-jest's default (CommonJS) setup does. */
function compileWithTsc(text: string, target: ts.ScriptTarget): Record<string, any> {
  const { outputText } = ts.transpileModule(text, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target, esModuleInterop: true },
  });
  return evaluateCommonJs(outputText);
}

/** What istanbul makes of `text` (CommonJS) under coverage: counters in every function. */
function instrumentWithIstanbul(text: string, filename: string): Record<string, any> {
  const { createInstrumenter } = require('istanbul-lib-instrument') as {
    createInstrumenter(options: object): { instrumentSync(code: string, file: string): string };
  };
  const instrumented = createInstrumenter({ esModules: false }).instrumentSync(text, filename);
  return evaluateCommonJs(instrumented);
}

const TSC_SOURCE = `
export async function describeValue(value: { a: number; b: number; c: number }) {
  const os = await import('node:os');
  const path = await import('node:path');
  const { a, ...rest } = value;
  await new Promise((resolve) => setTimeout(resolve, 1));
  return { a, rest: { ...rest }, eol: os.EOL === '\\n' || os.EOL === '\\r\\n', sep: typeof path.sep };
}
`;

const USING_SOURCE = `
export function withResource(n: number) {
  using resource = { [Symbol.dispose]() {} };
  return n * 2;
}
`;

const ISTANBUL_SOURCE = `
function classify(n) {
  const label = n > 10 ? 'big' : 'small';
  if (n % 2 === 0) {
    return label + ' even';
  }
  return [1, 2].map((x) => x * n).reduce((a, b) => a + b, 0) > 0 && label + ' odd';
}
module.exports = { classify };
`;

const pools: Array<[string, () => Executor]> = [
  ['ThreadPoolExecutor', () => new ThreadPoolExecutor({ maxWorkers: 1 })],
  ['ProcessPoolExecutor', () => new ProcessPoolExecutor({ maxWorkers: 1 })],
];

describe.each(pools)('%s runs functions compiled by tools', (_name, create) => {
  let executor: Executor;
  beforeAll(() => {
    executor = create();
  });
  afterAll(() => executor.shutdown());

  test('tsc for an ES2017 CommonJS project: __awaiter-free, __importStar(require()), __rest', async () => {
    const { describeValue } = compileWithTsc(TSC_SOURCE, ts.ScriptTarget.ES2017);
    expect(String(describeValue)).toContain('__importStar(require(');
    expect(String(describeValue)).toContain('__rest(');
    await expect(executor.submit(describeValue, { a: 1, b: 2, c: 3 })).resolves.toEqual({
      a: 1,
      rest: { b: 2, c: 3 },
      eol: true,
      sep: 'string',
    });
  });

  test('tsc for an ES2015 target: async functions become __awaiter over a generator', async () => {
    const { describeValue } = compileWithTsc(TSC_SOURCE, ts.ScriptTarget.ES2015);
    expect(String(describeValue)).toContain('__awaiter(');
    await expect(executor.submit(describeValue, { a: 5, b: 6, c: 7 })).resolves.toEqual({
      a: 5,
      rest: { b: 6, c: 7 },
      eol: true,
      sep: 'string',
    });
    // A rejection inside the generator reaches the future, as with a native async function.
    const { fails } = compileWithTsc(
      `export async function fails() { await null; throw new RangeError('inside'); }`,
      ts.ScriptTarget.ES2015,
    );
    await expect(executor.submit(fails)).rejects.toThrow('inside');
  });

  test('istanbul counters (cov_<hash>().s/.f/.b) count somewhere harmless', async () => {
    const { classify } = instrumentWithIstanbul(ISTANBUL_SOURCE, '/project/src/classify.js');
    expect(String(classify)).toMatch(/cov_\w+\(\)\.s\[\d+\]\+\+/);
    expect(String(classify)).toMatch(/cov_\w+\(\)\.b\[\d+\]\[\d+\]\+\+/);
    const results = await Promise.all([4, 7, 12].map((n) => executor.submit(classify, n)));
    expect(results).toEqual(['small even', 'small odd', 'big even']);
  });

  test('two instrumented files (two hashes) in one worker, and the older __cov_ shape', async () => {
    const first = instrumentWithIstanbul(ISTANBUL_SOURCE, '/project/src/a.js').classify;
    const second = instrumentWithIstanbul(ISTANBUL_SOURCE, '/project/src/b.js').classify;
    const older = new Function(
      'n',
      "__cov_Xy1$.s['1']++; __cov_Xy1$.f['1']++; __cov_Xy1$.b['1'][0]++; return n + 1;",
    );
    await expect(executor.submit(first, 3)).resolves.toBe('small odd');
    await expect(executor.submit(second, 20)).resolves.toBe('big even');
    await expect(executor.submit(older as (n: number) => number, 1)).resolves.toBe(2);
  });

  // Vitest's module runner rewrites `await import('x')` in a test file to
  // `await __vite_ssr_dynamic_import__("x")`; here that rewrite is written out by hand (vitest is
  // not a dependency of this project), with the argument list vite gives it.
  test("vitest's import() helper (__vite_ssr_dynamic_import__) imports as a function sent by source does", async () => {
    const rewritten = new Function(
      'return async function viteCompiled(file) {' +
        ' const __vi_import_0__ = await __vite_ssr_dynamic_import__("node:path", undefined);' +
        ' const fromPackage = await __vite_ssr_dynamic_import__("typescript");' +
        ' return [__vi_import_0__.basename(file), typeof fromPackage.transpileModule];' +
        ' };',
    )() as (file: string) => Promise<[string, string]>;
    await expect(executor.submit(rewritten, '/a/b/c.txt')).resolves.toEqual(['c.txt', 'function']);
    // The name alone, not called, stays a missing variable.
    const mentioned = new Function('return typeof __vite_ssr_dynamic_import__;') as () => string;
    await expect(executor.submit(mentioned)).resolves.toBe('undefined');
  });

  test('what cannot be provided is named, with what to change, never "pass it as an argument"', async () => {
    const { describeValue } = compileWithTsc(TSC_SOURCE, ts.ScriptTarget.ES5);
    expect(String(describeValue)).toContain('__generator(');
    const es5 = await executor
      .submit(describeValue, { a: 1, b: 2, c: 3 })
      .exception()
      .then((error) => error as Error);
    expect(es5).toBeInstanceOf(ReferenceError);
    expect(es5.message).toMatch(/__generator.*TypeScript.*"target": "ES2022"/);
    expect(es5.message).not.toMatch(/as an argument/);

    // An async arrow (the form most code submits) below ES2015 first misses tsc's `_this`: once
    // advised to pass "_this" as an argument, which cannot help.
    const { makeDouble } = compileWithTsc(
      'export function makeDouble() { return async (x: number) => x * 2; }',
      ts.ScriptTarget.ES5,
    );
    const double = makeDouble() as (x: number) => Promise<number>;
    expect(String(double)).toContain('__awaiter(_this');
    const arrow = (await executor.submit(double, 2).exception()) as Error;
    expect(arrow).toBeInstanceOf(ReferenceError);
    expect(arrow.message).toMatch(
      /"_this" is a variable that TypeScript or Babel writes.*"target": "ES2022"/,
    );

    // `using` in a function sent by source: tsc writes its helpers at any target Node 20 runs.
    const { withResource } = compileWithTsc(USING_SOURCE, ts.ScriptTarget.ES2022);
    expect(String(withResource)).toContain('__addDisposableResource(');
    const using = (await executor.submit(withResource, 2).exception()) as Error;
    expect(using.message).toMatch(
      /__(?:addDisposableResource|disposeResources).*`using`.*fromModule/,
    );
    expect(using.message).not.toMatch(/as an argument/);

    const coverageGlobal = new Function('return __coverage__.x;') as () => unknown;
    const coverage = (await executor.submit(coverageGlobal).exception()) as Error;
    expect(coverage.message).toMatch(/istanbul.*coverageProvider: 'v8'/);
    expect(coverage.message).not.toMatch(/as an argument/);
  });

  test("Babel's module helpers (babel-jest with targets: { node: 'current' }) are provided", async () => {
    // What @babel/plugin-transform-modules-commonjs writes for `await import('node:path')` and for
    // `import path from 'node:path'`, whatever the target: not a target's helpers.
    const wildcard = new Function(
      'return Promise.resolve().then(() => _interopRequireWildcard(require("node:path"))).then((p) => p.basename("/a/b.txt"));',
    ) as () => Promise<string>;
    await expect(executor.submit(wildcard)).resolves.toBe('b.txt');
    const byDefault = new Function(
      'return _interopRequireDefault(require("node:path")).default.extname("x.ts");',
    ) as () => string;
    await expect(executor.submit(byDefault)).resolves.toBe('.ts');
  });

  test("esbuild's helpers for an older target are named as esbuild's, with the target to raise", async () => {
    const { transformSync } = require('esbuild') as typeof import('esbuild');
    const { code } = transformSync(
      'export const double = async (x) => { await null; return x * 2; };',
      {
        target: 'es2016',
        format: 'cjs',
      },
    );
    const { double } = evaluateCommonJs(code) as { double: (x: number) => Promise<number> };
    expect(String(double)).toContain('__async(');
    const error = (await executor.submit(double, 2).exception()) as Error;
    expect(error.message).toMatch(/"__async" is a helper that esbuild .*--target=node20/);
    expect(error.message).not.toMatch(/as an argument/);
  });

  test('a user variable that merely looks like a helper is still a missing variable', async () => {
    const fn = new Function('return typeof __awaiterx === "undefined" ? missingThing : 1;');
    const error = (await executor.submit(fn as () => unknown).exception()) as Error;
    expect(error.message).toMatch(/"missingThing".*pass "missingThing" as an argument/);
  });
});
