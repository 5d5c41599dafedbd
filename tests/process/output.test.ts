// What calls print in a child process reaches the parent's stdout whole, however the pool ends
// the child. Node writes a child's stdout to a pipe asynchronously, and a child that exited (at
// shutdown, on maxTasksPerChild, on idleTimeout) dropped what the kernel had not taken yet: with
// a reader that starts late (a pager, a log shipper), 64 of 200 lines arrived.

import { spawn } from 'node:child_process';

const LIBRARY = new URL('../../dist/index.js', import.meta.url).href;

/** Runs a script whose pool prints 200 lines of 1 KB, read only after `lateMs`; the lines that arrive. */
async function linesReadLate(options: string, lateMs: number): Promise<number> {
  const script = `
    import { ProcessPoolExecutor } from ${JSON.stringify(LIBRARY)};
    const executor = new ProcessPoolExecutor(${options});
    const print = (i) => { console.log('call ' + i + ' ' + 'x'.repeat(1000)); return i; };
    const futures = [];
    for (let i = 0; i < 200; i++) futures.push(executor.submit(print, i));
    await Promise.all(futures);
    await executor.shutdown();
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.pause(); // nothing is read until the reader starts
  await new Promise((resolve) => setTimeout(resolve, lateMs));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(0);
  return out.split('\n').filter((line) => line.startsWith('call ')).length;
}

test.each([
  ['shutdown()', '{ maxWorkers: 2 }'],
  ['maxTasksPerChild', '{ maxWorkers: 2, maxTasksPerChild: 10 }'],
])(
  'every line a call printed arrives, with a reader that starts late: %s',
  async (_how, options) => {
    expect(await linesReadLate(options, 1000)).toBe(200);
  },
  60_000,
);

test('a reader that goes away (app | head) breaks no child: the calls go on and return', async () => {
  // Each write after the reader left failed with EPIPE, an 'error' nobody heard: the child died and
  // the pool broke (191 of 200 calls failed).
  const script = `
    import { ProcessPoolExecutor } from ${JSON.stringify(LIBRARY)};
    const executor = new ProcessPoolExecutor({ maxWorkers: 2 });
    const work = (i) => { console.log('working on ' + i); const end = Date.now() + 2; while (Date.now() < end); return i * i; };
    const settled = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => executor.submit(work, i).result()));
    process.stderr.write(JSON.stringify(settled.filter((s) => s.status === 'rejected').length) + '\\n');
    await executor.shutdown();
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The reader takes the first line, then closes its end, as `head -1` does.
  child.stdout.once('data', () => child.stdout.destroy());
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  await new Promise((resolve) => child.on('close', resolve));
  expect(err.trim().split('\n')[0]).toBe('0'); // no call failed
}, 60_000);
