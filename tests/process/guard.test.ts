// The guard that kills a child once the pool's process is gone (src/worker/parent-guard.ts): on
// Linux a sleeping /bin/sh per child, which must come and go with its child, never kill anything
// else, and leave the child's own fds and threads as they were. (That it does kill a child stuck
// in a loop when the parent is SIGKILLed is in parent.test.ts and reliability/faults.test.ts.)

import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { ProcessPoolExecutor, TimeoutError } from 'concurrent-futures';
import { stillAliveAfter } from '../support/processes.js';

const onLinuxWithShell = existsSync('/proc/self/status') && existsSync('/bin/sh');
const linuxTest = onLinuxWithShell
  ? test
  : (title: string, body: () => Promise<void>) =>
      test.skip(`${title} (skipped: needs /proc and /bin/sh)`, body);

/** The pids of the guard shells whose command line names `childPid`. */
function guardsOf(childPid: number): number[] {
  const guards: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const args = cmdline.split('\0');
    if (args.includes('concurrent-futures-guard') && args.includes(String(childPid)))
      guards.push(Number(entry));
  }
  return guards;
}

function parentOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^PPid:\s+(\d+)$/m.exec(status)![1]);
}

let executor: ProcessPoolExecutor | undefined;
afterEach(async () => {
  await executor?.shutdown({ cancelFutures: true });
  executor = undefined;
});

linuxTest(
  'each child has one guard shell of its own, holding a socket the child has let go of',
  async () => {
    executor = new ProcessPoolExecutor({ maxWorkers: 2 });
    const hold = (ms: number): number => {
      const until = Date.now() + ms;
      while (Date.now() < until);
      return process.pid;
    };
    const pids = await Promise.all([executor.submit(hold, 300), executor.submit(hold, 300)]);
    expect(new Set(pids).size).toBe(2);
    for (const pid of pids) {
      const guards = guardsOf(pid);
      expect(guards).toHaveLength(1);
      expect(parentOf(guards[0]!)).toBe(pid);
    }
    // The child keeps no copy of the guard's socket (only the shell and the pool's process hold it).
    for (const pid of pids) {
      const socket = readlinkSync(`/proc/${guardsOf(pid)[0]!}/fd/0`);
      expect(socket).toMatch(/^socket:/);
      const childFds = readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '';
        }
      });
      expect(childFds).not.toContain(socket);
    }
  },
);

linuxTest(
  'the guards go with their children: at shutdown, and when a child is ended on purpose',
  async () => {
    executor = new ProcessPoolExecutor({ maxWorkers: 1, endGraceMs: 100 });
    const first = await executor.submit(() => process.pid);
    const firstGuards = guardsOf(first);
    expect(firstGuards).toHaveLength(1);
    const spin = (): never => {
      for (;;);
    };
    await expect(executor.schedule(spin, { timeout: 100 })).rejects.toThrow(TimeoutError);
    const second = await executor.submit(() => process.pid);
    expect(second).not.toBe(first); // the stuck child was ended and replaced
    expect(await stillAliveAfter([first, ...firstGuards], 3_000)).toEqual([]);
    const secondGuards = guardsOf(second);
    expect(secondGuards).toHaveLength(1);
    await executor.shutdown();
    expect(await stillAliveAfter([second, ...secondGuards], 3_000)).toEqual([]);
  },
);
