// failWorker (src/worker/intrinsics.ts): what the worker runtime does when its own message path
// meets an exception it cannot handle. It must end the worker, a thread or a process, with code 70
// and a line on stderr saying why, even when a call has replaced process.exit and swallows every
// uncaught error: a worker that is gone is reported by its pool, one that hangs is not.

import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';

const INTRINSICS = new URL('../../dist/worker/intrinsics.js', import.meta.url).href;

// What a call may have done before the failure: nothing of it may keep the worker alive.
const TAMPERED =
  "process.on('uncaughtException', () => {}); process.on('exit', () => { throw new Error('exit listener'); });" +
  'process.exit = () => {}; setInterval(() => {}, 1000);';

test('a process ends with code 70 and says why on stderr', () => {
  const child = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { failWorker } from '${INTRINSICS}'; ${TAMPERED} failWorker('testing', new Error('boom'));`,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  expect(child.status).toBe(70);
  expect(child.stderr).toMatch(/concurrent-futures: this worker's runtime failed testing/);
  expect(child.stderr).toMatch(/Error: boom/);
});

// Its message goes to fd 2 directly (the thread's process.stderr may be a stream nobody reads).
test('a worker thread ends with code 70', async () => {
  const worker = new Worker(
    `import(${JSON.stringify(INTRINSICS)}).then(({ failWorker }) => { ${TAMPERED} failWorker('testing', new Error('boom')); });`,
    { eval: true },
  );
  const code = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the thread did not exit (a hang)')), 20_000);
    worker.on('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  expect(code).toBe(70);
});
