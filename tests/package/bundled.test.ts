// An application bundle that carries the package inside it (esbuild --bundle, without keeping
// concurrent-futures external): the pools find no worker entry file beside the bundled code. The
// constructor now says so, and what to do; before, every worker died at start and the pool broke
// with advice about the initializer and loaders.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import * as esbuild from 'esbuild';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cf-bundled-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.each(['esm', 'cjs'] as const)(
  'a %s bundle with the package inside: each pool says it was bundled, and how to keep it out',
  async (format) => {
    const app = join(dir, `app-${format}.mjs`);
    writeFileSync(
      app,
      `import { ThreadPoolExecutor, ProcessPoolExecutor } from ${JSON.stringify(join(root, 'dist', 'index.js'))};
       for (const Pool of [ThreadPoolExecutor, ProcessPoolExecutor]) {
         try { new Pool({ maxWorkers: 1 }); console.log(Pool.name + ': made'); }
         catch (error) { console.log(Pool.name + ': ' + error.message); }
       }`,
    );
    const out = join(dir, 'out', `app.${format === 'esm' ? 'mjs' : 'cjs'}`);
    await esbuild.build({
      entryPoints: [app],
      bundle: true,
      platform: 'node',
      format,
      outfile: out,
      logLevel: 'silent',
      external: ['p-queue'],
    });
    const { stdout } = await promisify(execFile)(process.execPath, [out], { timeout: 20_000 });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const [line, pool] of lines.map((text, i) => [
      text,
      ['ThreadPoolExecutor', 'ProcessPoolExecutor'][i]!,
    ])) {
      expect(line).toMatch(
        new RegExp(
          // An ESM bundle names the file it looked for; a CommonJS one has no import.meta.url to look from.
          `^${pool}: This ${pool} cannot start its workers: their entry file (.* does not exist|cannot be found)`,
        ),
      );
      expect(line).toMatch(/was bundled into your application .* --packages=external/);
    }
  },
  60_000,
);
