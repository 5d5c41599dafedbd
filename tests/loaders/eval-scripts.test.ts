// Issue 15 row 7: a script run with `node -e` / `node -p` / `node --input-type=module -e` can use
// both pools. Workers used to inherit those flags, which only make sense for the main entry, and
// died before they were ready.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = new URL('../../dist/index.js', import.meta.url).href;

// The last pool is given the parent's execArgv explicitly: the main entry's flags go even then.
const BODY = `
  const out = [];
  for (const pool of [
    new m.ThreadPoolExecutor({ maxWorkers: 1 }),
    new m.ProcessPoolExecutor({ maxWorkers: 1 }),
    new m.ProcessPoolExecutor({ maxWorkers: 1, execArgv: process.execArgv }),
  ]) {
    out.push(await pool.submit((x) => x + 1, 41));
    await pool.shutdown();
  }
  console.log(JSON.stringify(out));`;

const SCRIPTS: Record<string, string[]> = {
  'node --input-type=module -e': [
    '--input-type=module',
    '-e',
    `import * as m from ${JSON.stringify(dist)};${BODY}`,
  ],
  'node --input-type module --eval': [
    '--input-type',
    'module',
    '--eval',
    `import * as m from ${JSON.stringify(dist)};${BODY}`,
  ],
  'node -e (CommonJS)': ['-e', `import(${JSON.stringify(dist)}).then(async (m) => {${BODY}});`],
  'node -p': ['-p', `import(${JSON.stringify(dist)}).then(async (m) => {${BODY}}), ''`],
};

test.each(Object.entries(SCRIPTS))('%s: both pools run a call', async (_name, args) => {
  const { stdout, stderr } = await run(process.execPath, args, { cwd: root, timeout: 30_000 });
  expect(stderr).toBe('');
  expect(stdout).toContain('[42,42,42]');
});
