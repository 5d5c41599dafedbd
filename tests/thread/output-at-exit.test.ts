// A script that never calls shutdown() exits once its work is done (idle threads are unref'd), and
// what its calls printed must arrive first. A thread's stdout reaches the process as messages on
// its port, and an unref'd port is not read once the loop is empty: lines were lost at exit (13 of
// 20 in a run). Idle threads are now stopped at 'beforeExit', and Node delivers their output first.

import { spawn } from 'node:child_process';

const LIBRARY = new URL('../../dist/index.js', import.meta.url).href;

async function linesPrinted(options: string): Promise<{ lines: number; code: number | null }> {
  const script = `
    import { ThreadPoolExecutor } from ${JSON.stringify(LIBRARY)};
    const executor = new ThreadPoolExecutor(${options});
    const print = (i) => { console.log('call ' + i + ' ' + 'x'.repeat(2000)); return i; };
    const futures = [];
    for (let i = 0; i < 50; i++) futures.push(executor.submit(print, i));
    for (const future of futures) await future;
    // no shutdown(): the program just ends
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { lines: out.split('\n').filter((line) => line.startsWith('call ')).length, code };
}

test.each([['{ maxWorkers: 2 }'], ['{ maxWorkers: 2, minWorkers: 2 }']])(
  'a script without shutdown() gets every line its calls printed, and exits: %s',
  async (options) => {
    for (let run = 0; run < 4; run++)
      expect(await linesPrinted(options)).toEqual({ lines: 50, code: 0 });
  },
  60_000,
);

test("an unref'd timer that keeps submitting does not keep the process alive through the exit hook", async () => {
  // The hook stopped idle workers ref'd, the unref'd timer fired meanwhile and submitted again, and
  // 'beforeExit' came round again and again (hundreds of times, never exiting): it acts once now.
  const script = `
    import { ThreadPoolExecutor, ProcessPoolExecutor } from ${JSON.stringify(LIBRARY)};
    for (const Pool of [ThreadPoolExecutor, ProcessPoolExecutor]) {
      const executor = new Pool({ maxWorkers: 2 });
      setInterval(() => executor.submit((x) => x, 1).then(() => {}, () => {}), 1).unref();
      console.log('call ' + (await executor.submit((x) => x + 1, 1)));
    }
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    child.on('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
  );
  clearTimeout(killer);
  expect(signal).toBeNull(); // not killed at the time limit: it exited by itself
  expect(code).toBe(0);
  expect(out.trim().split('\n')).toEqual(['call 2', 'call 2']);
}, 30_000);
