// Helpers for the ProcessPoolExecutor tests: pools and spawned `node` processes that are always
// cleaned up (even when a test fails), checks that a pid is gone, and scratch files that calls in
// children write to (the only way to see, from the test, what a child did and how often).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessPoolExecutor, type ProcessPoolExecutorOptions } from 'concurrent-futures';
import { killLeftovers, sleep, withTimeout } from '../support/processes.js';

export { isAlive, sleep, stillAliveAfter, withTimeout } from '../support/processes.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

const pools = new Set<ProcessPoolExecutor>();
const spawned = new Set<ChildProcess & { detachedGroup: boolean }>();
const strayPids = new Set<number>();
const scratch: string[] = [];

/** A pool that is killed after the test whatever happened in it. */
export function pool(options?: ProcessPoolExecutorOptions): ProcessPoolExecutor {
  const executor = new ProcessPoolExecutor(options);
  pools.add(executor);
  return executor;
}

/** Pids seen in output of spawned scripts: SIGKILLed after the test if still alive. */
export function trackPids(pids: Iterable<number>): void {
  for (const pid of pids) strayPids.add(pid);
}

/** A fresh directory for files that calls write; removed after the test file. */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cf-process-'));
  scratch.push(dir);
  return dir;
}

export function readLines(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((line) => line !== '');
}

/** Installs the clean-up every test file of this folder needs. */
export function cleanUpAfterEach(): void {
  afterEach(async () => {
    const ended = [...pools].map((executor) => withTimeout(executor.killWorkers(), 10_000));
    pools.clear();
    killLeftovers(spawned, strayPids);
    spawned.clear();
    strayPids.clear();
    await Promise.all(ended);
  });
  afterAll(() => {
    for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
}

/** Polls `check` until it is true, or fails after `ms` (a generous bound: a hang is the failure). */
export async function until(
  check: () => boolean,
  ms = 15_000,
  what = 'the condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() >= deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}.`);
    await sleep(20);
  }
}

export interface NodeRun {
  child: ChildProcess;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern` (fails after `ms`). */
  line(pattern: RegExp, ms?: number): Promise<string>;
  /** Resolves once the process has exited (fails after `ms`). */
  exit(ms?: number): Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
}

/** Runs `node ...args` from the repository root, with piped output; always killed after the test. */
export function runNode(
  args: string[],
  options: { detached?: boolean; env?: NodeJS.ProcessEnv; stdin?: 'ignore' | 'pipe' } = {},
): NodeRun {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
    env: options.env ?? process.env,
  }) as ChildProcess & { detachedGroup: boolean };
  child.detachedGroup = options.detached ?? false;
  spawned.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close': the process exited AND its output pipes (which its children share) are closed.
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async line(pattern, ms = 20_000) {
      let found: string | undefined;
      await until(
        () =>
          (found = out.split('\n').find((line) => pattern.test(line))) !== undefined ||
          child.exitCode !== null,
        ms,
        `a line matching ${pattern} (stdout so far: ${JSON.stringify(out)}, stderr: ${JSON.stringify(err)})`,
      );
      if (found === undefined)
        throw new Error(`node exited before printing ${pattern}; stdout: ${out}; stderr: ${err}`);
      return found;
    },
    async exit(ms = 20_000) {
      const { code, signal } = await withTimeout(
        exited,
        ms,
        `node ${args.join(' ')} (stdout: ${JSON.stringify(out)})`,
      );
      return { code, signal, stdout: out, stderr: err };
    },
  };
}
