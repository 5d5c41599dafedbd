// Ctrl-C in a terminal sends SIGINT to the whole foreground process group: the pool's children as
// well as the program. They died at once, and a program that handles SIGINT by finishing its work
// (a worker host's close(), a server's graceful stop) saw every running call fail as "killed by
// signal SIGINT". Children now leave SIGINT to their parent, as threads do; a parent that dies of it
// still takes its children with it.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LIBRARY = new URL('../../dist/index.js', import.meta.url).href;
const linuxTest = existsSync('/proc/self/status') ? test : test.skip;

/**
 * Starts `script` in a process group of its own, and SIGINTs the group once it prints "ready"
 * (the whole group is killed if it never does, so that nothing outlives the test).
 */
async function ctrlC(
  script: string,
): Promise<{ out: string; code: number | null; signal: string | null }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true, // its own group, as a terminal's foreground job is
  });
  const never = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (chunk.includes('ready')) process.kill(-child.pid!, 'SIGINT');
  });
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    child.on('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
  );
  clearTimeout(never);
  return { out, code, signal };
}

/** Alive and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    return !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

linuxTest(
  'a program that handles SIGINT finishes the calls its children are running',
  async () => {
    const { out, code } = await ctrlC(`
    import { ProcessPoolExecutor } from ${JSON.stringify(LIBRARY)};
    const executor = new ProcessPoolExecutor({ maxWorkers: 2 });
    const spin = (i) => { const end = Date.now() + 1000; while (Date.now() < end); return i * 10; };
    const futures = [1, 2, 3, 4].map((i) => executor.submit(spin, i));
    process.on('SIGINT', async () => {
      await executor.shutdown();
      const settled = await Promise.allSettled(futures.map((future) => future.result()));
      console.log(JSON.stringify(settled.map((s) => s.status === 'fulfilled' ? s.value : s.reason.message)));
      process.exit(0);
    });
    await new Promise((resolve) => setTimeout(resolve, 300)); // the children are running calls
    console.log('ready');
    setInterval(() => {}, 1000);
  `);
    expect(code).toBe(0);
    expect(JSON.parse(out.split('\n').find((line) => line.startsWith('['))!)).toEqual([
      10, 20, 30, 40,
    ]);
  },
  60_000,
);

linuxTest(
  'a program that dies of SIGINT leaves no child behind',
  async () => {
    const marker = join(tmpdir(), `cf-ctrl-c-${process.pid}-${Date.now()}`);
    let pids: number[] = [];
    try {
      const { signal } = await ctrlC(`
      import { ProcessPoolExecutor } from ${JSON.stringify(LIBRARY)};
      import { existsSync, readFileSync } from 'node:fs';
      const executor = new ProcessPoolExecutor({ maxWorkers: 2 });
      const spinForever = (marker) => {
        require('node:fs').appendFileSync(marker, process.pid + '\\n');
        for (;;);
      };
      for (let i = 0; i < 2; i++) executor.submit(spinForever, ${JSON.stringify(marker)});
      const started = () => existsSync(${JSON.stringify(marker)}) && readFileSync(${JSON.stringify(marker)}, 'utf8').trim().split('\\n').length === 2;
      while (!started()) await new Promise((resolve) => setTimeout(resolve, 20));
      console.log('ready');
      setInterval(() => {}, 1000);
    `);
      expect(signal).toBe('SIGINT');
      pids = readFileSync(marker, 'utf8').trim().split('\n').map(Number);
      expect(pids).toHaveLength(2);
      // Spinning, the children never see their channel end: their guards end them.
      const deadline = Date.now() + 10_000;
      while (pids.some(alive) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(pids.filter(alive)).toEqual([]);
    } finally {
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      rmSync(marker, { force: true });
    }
  },
  60_000,
);
