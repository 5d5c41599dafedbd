// A function sent by source may import(): Node 20 serves it through USE_MAIN_CONTEXT_DEFAULT_LOADER
// and warns (ExperimentalWarning) at the first such import of each thread. The worker uses that
// warning up itself, quietly, but only for a source that can reach import() (src/worker/
// resolve-callable.ts: the quietening costs the first call ~1 ms). Run in a plain node process,
// without jest's --no-warnings, so that a warning would show on stderr.

import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const dist = pathToFileURL(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).href;

const script = `
const { ThreadPoolExecutor, ProcessPoolExecutor } = await import(${JSON.stringify(dist)});
const out = {};
for (const Pool of [ThreadPoolExecutor, ProcessPoolExecutor]) {
  const pool = new Pool({ maxWorkers: 1 });
  // First a call with no import at all (it does not quieten), then the ways a source reaches import().
  const plain = await pool.submit((x) => x + 1, 1);
  const direct = await pool.submit(async () => (await import('node:path')).sep);
  const evaluated = await pool.submit(async () => typeof (await eval('import("node:os")')).cpus);
  const built = await pool.submit(async () => (await new Function('return import("node:url")')()).URL.name);
  out[Pool.name] = [plain, direct, evaluated, built];
  await pool.shutdown();
}
console.log(JSON.stringify(out));
`;

test('calls by source that import() print no ExperimentalWarning, in threads and processes', async () => {
  const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 60_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  expect(stderr).toBe('');
  const expected = [2, '/', 'function', 'URL'];
  expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({
    ThreadPoolExecutor: expected,
    ProcessPoolExecutor: expected,
  });
}, 90_000);
