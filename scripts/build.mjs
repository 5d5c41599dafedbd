// Builds the package for both module systems from the one source in src/ (see docs/design.md,
// "Two module systems"):
//
//   dist/            ESM: tsc, one .js and .d.ts per source file.
//   dist/cjs/        CommonJS: esbuild bundles each public entry into one file over a shared
//                    core.js (p-queue, which is ESM-only, inside it), next to a copy of the
//                    declarations and a package.json that makes Node and TypeScript read this
//                    folder as CommonJS. The worker
//                    entries are bundled here too (dist/cjs/worker/): worker threads and child
//                    processes always start these, whichever build started them.
//
// Plain JavaScript, so that `npm pack` (prepack) needs nothing but tsc and esbuild.

import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const cjs = join(dist, 'cjs');
const require = createRequire(import.meta.url);

/** The public entries: `exports` subpath → source file. An entry whose source is absent is skipped. */
const ENTRIES = [
  ['.', 'index.ts'],
  ['./queue', 'queue/index.ts'],
];

/**
 * The entries of worker threads and child processes, bundled too, and started from here by both
 * builds: one CommonJS file loads in one read and compile, where the ESM build's seven modules each
 * go through the ESM loader (resolve, read, link) before the first call can run (docs/design.md,
 * "Start-up"). The user's modules are still loaded with import() from them.
 */
const WORKER_ENTRIES = ['worker/process-entry.ts', 'worker/thread-entry.ts'];

/**
 * Dependencies that CommonJS cannot require() everywhere (ESM-only: jest's CommonJS runtime has no
 * require(esm)) are bundled into the CommonJS build; every other dependency stays a require().
 */
const BUNDLED_DEPENDENCIES = new Set(['p-queue']);

rmSync(dist, { recursive: true, force: true });

// ── ESM: tsc ──────────────────────────────────────────────────────────────────────────────
execFileSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);

// ── CommonJS: esbuild ──────────────────────────────────────────────────────────────────────
const { dependencies = {} } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = Object.keys(dependencies).filter((name) => !BUNDLED_DEPENDENCIES.has(name));

/**
 * `import.meta` does not exist in CommonJS. In this build, `import.meta.url` of a module is the URL
 * of the same module in the ESM build, so `new URL('../cjs/worker/thread-entry.js', import.meta.url)`
 * finds the bundled worker entry, which the pools start whichever build loaded them. Replaced through
 * esbuild's own parser (define), so the words inside strings and comments are left alone.
 */
const importMetaAsInEsmBuild = {
  name: 'import-meta-as-in-esm-build',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      if (!path.startsWith(src + sep)) return undefined;
      const source = readFileSync(path, 'utf8');
      if (!source.includes('import.meta')) return undefined;
      const esmFile = relative(src, path).replace(/\.ts$/, '.js').split(sep).join('/');
      const { code } = await esbuild.transform(source, {
        loader: 'ts',
        format: 'esm',
        sourcefile: path,
        define: { 'import.meta.url': '__esmBuildUrl' },
      });
      if (!code.includes('__esmBuildUrl'))
        return { contents: code, loader: 'js', resolveDir: dirname(path) };
      if (
        /\bimport\.meta\b/.test(
          code.replace(/(["'`])(?:\\.|(?!\1)[^\\])*\1|\/\/.*|\/\*[\s\S]*?\*\//g, ''),
        )
      ) {
        throw new Error(
          `${path}: only import.meta.url has a CommonJS equivalent; use nothing else of import.meta.`,
        );
      }
      const header =
        `import { pathToFileURL as __pathToFileURL } from 'node:url';\n` +
        // The bundle sits in dist/cjs/ (or a folder below for a subpath entry): the ESM build's copy
        // of this module is found from the package's dist/ folder, recorded in the bundle's banner.
        `const __esmBuildUrl = __pathToFileURL(__esmBuildRoot + ${JSON.stringify('/' + esmFile)}).href;\n`;
      return { contents: header + code, loader: 'js', resolveDir: dirname(path) };
    });
  },
};

/**
 * The modules both public entries use (everything but queue/ and the worker entries) go into one
 * CommonJS file, dist/cjs/core.js, which each entry's bundle requires: two copies would make two
 * classes of everything, and a CommonJS app that requires both entries would find that a
 * QueueExecutor is not `instanceof Executor`, or that its CancelledError is not `instanceof` the
 * root's CancelledError. (The ESM build shares its modules by itself.)
 */
const CORE_FILE = join(cjs, 'core.js');
const coreModules = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  .map((file) => file.split(sep).join('/'))
  .filter(
    (file) => !file.startsWith('queue/') && !file.startsWith('worker/') && file !== 'index.ts',
  );
const coreName = (file) => file.replace(/\.ts$/, '').replace(/[^A-Za-z0-9]/g, '_');
const CORE_SPECIFIER = 'concurrent-futures:core';

/** In an entry's bundle, every import of a core module becomes that module's part of core.js. */
function fromCore(outfile) {
  const coreFromOutfile = './' + relative(dirname(outfile), CORE_FILE).split(sep).join('/');
  return {
    name: 'from-core',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, ({ path, resolveDir, namespace }) => {
        if (namespace !== 'file') return undefined;
        const file = relative(src, join(resolveDir, path))
          .split(sep)
          .join('/')
          .replace(/\.js$/, '.ts');
        if (!coreModules.includes(file)) return undefined;
        return { path: coreName(file), namespace: 'core' };
      });
      build.onLoad({ filter: /.*/, namespace: 'core' }, ({ path }) => ({
        contents: `module.exports = require(${JSON.stringify(CORE_SPECIFIER)}).${path};`,
        loader: 'js',
      }));
      build.onResolve({ filter: new RegExp(`^${CORE_SPECIFIER}$`) }, () => ({
        path: coreFromOutfile,
        external: true,
      }));
    },
  };
}

/** One CommonJS bundle: `entry` is a file, or { contents } for the core's generated entry. */
async function bundle(entry, outfile, plugins) {
  const toDist = relative(dirname(outfile), dist).split(sep).join('/');
  await esbuild.build({
    ...(typeof entry === 'string'
      ? { entryPoints: [entry] }
      : {
          stdin: { contents: entry.contents, resolveDir: src, sourcefile: 'core.ts', loader: 'ts' },
        }),
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external,
    sourcemap: true,
    // Class and function names stay as written (errors print them, Future's inspect shows them).
    keepNames: true,
    logLevel: 'warning',
    banner: {
      js: `const __esmBuildRoot = require('node:path').join(__dirname, ${JSON.stringify(toDist)});`,
    },
    plugins: [importMetaAsInEsmBuild, ...plugins],
  });
}

await bundle(
  {
    contents: coreModules
      .map((file) => `export * as ${coreName(file)} from './${file.replace(/\.ts$/, '.js')}';`)
      .join('\n'),
  },
  CORE_FILE,
  [],
);
for (const file of ENTRIES.map(([, file]) => file)) {
  const entry = join(src, file);
  if (!existsSync(entry)) continue;
  const outfile = join(cjs, file.replace(/\.ts$/, '.js'));
  await bundle(entry, outfile, [fromCore(outfile)]);
}
// A worker starts its entry alone in its own thread or process: it shares nothing with the parent's
// modules, and one self-contained file loads fastest.
for (const file of WORKER_ENTRIES) {
  const outfile = join(cjs, file.replace(/\.ts$/, '.js'));
  await bundle(join(src, file), outfile, []);
}

// Declarations: the same .d.ts files, read as CommonJS because of dist/cjs/package.json (TypeScript
// needs a CommonJS copy for `require`: with module node16 an ESM declaration cannot be required).
for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
  if (!file.endsWith('.d.ts') || file.startsWith('cjs' + sep)) continue;
  mkdirSync(dirname(join(cjs, file)), { recursive: true });
  copyFileSync(join(dist, file), join(cjs, file));
}
writeFileSync(join(cjs, 'package.json'), JSON.stringify({ type: 'commonjs' }, null, 2) + '\n');

// The ESM entries' declarations re-export the CommonJS ones: one declaration of each class. Two
// would be two nominal types (Future has #private members, Executor protected ones): an ESM app
// could not pass its executor or futures to a CommonJS library typed against the other copy, nor
// wait() on futures of both, though at run time both copies are one kind (see the Rulings).
for (const entry of ['index.d.ts', join('queue', 'index.d.ts')]) {
  const esmEntry = join(dist, entry);
  const references = readFileSync(esmEntry, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('/// <reference'));
  const target = relative(dirname(esmEntry), join(cjs, entry)).split(sep).join('/');
  const specifier = (target.startsWith('.') ? target : `./${target}`).replace(/\.d\.ts$/, '.js');
  writeFileSync(esmEntry, [...references, `export * from '${specifier}';`, ''].join('\n'));
}
