// Takes one sample in a fresh process (benchmarks/one.mjs on plain node, or python_bench.py) and
// reads its one JSON line. Each sample gets its own process group, so that a hung sample and
// anything a library leaves running after its parent exits can be found and ended.

import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Library } from './plan.js';
import { sampleEnvironment } from './environment.js';

const ONE = fileURLToPath(new URL('../one.mjs', import.meta.url));
const PYTHON_BENCH = fileURLToPath(new URL('../python_bench.py', import.meta.url));

export interface SampleResult {
  value?: number;
  unit?: string;
  skip?: string;
  error?: string;
  /** Whatever else the sample reported (milliseconds, parent/child memory, …). */
  details?: Record<string, unknown>;
  /** Something to tell the reader: a slow close(), processes left behind. */
  warnings: string[];
  wallMs: number;
}

/** `python3 --version`, or undefined when there is no python3. */
export function pythonVersion(): string | undefined {
  const result = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() || result.stderr.trim() : undefined;
}

export async function takeSample(
  workload: string,
  library: Library,
  workers: number,
  timeoutMs: number,
  nodeArgs: readonly string[] = [],
): Promise<SampleResult> {
  const [command, args] = library.python
    ? [
        'python3',
        [
          PYTHON_BENCH,
          library.kind === 'serial' ? 'serial' : workload,
          library.id.replace('python-', ''),
          String(workers),
        ],
      ]
    : [
        process.execPath,
        [
          ...nodeArgs, // e.g. --import tsx: how a TypeScript user runs the pools (section 9)
          ONE,
          library.kind === 'serial' ? 'serial' : workload,
          library.id,
          String(workers),
        ],
      ];
  // The same for every library: the runner's, less what would measure the machine (environment.ts).
  const { env } = sampleEnvironment();
  const started = performance.now();
  const child = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid!);
  }, timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  const wallMs = performance.now() - started;
  const warnings: string[] = [];

  // The sample has exited; its pool's processes should have too (give stragglers 300 ms).
  let left = processesInGroup(child.pid!);
  if (left.length > 0) {
    await sleep(300);
    left = processesInGroup(child.pid!);
  }
  if (left.length > 0 && !timedOut) {
    warnings.push(
      `${left.length} process(es) still running 300 ms after the sample exited (ended by the runner)`,
    );
    killGroup(child.pid!);
  }

  if (timedOut)
    return {
      error: `no result after ${timeoutMs / 1000} s: the sample hung (ended by the runner)`,
      warnings,
      wallMs,
    };
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) {
    const why = signal ? `killed by ${signal}` : `exit code ${code}`;
    return {
      error: `no result line (${why}); stderr: ${stderr.trim().slice(-500) || '(empty)'}`,
      warnings,
      wallMs,
    };
  }
  const parsed = JSON.parse(line) as Record<string, unknown>;
  const { value, unit, skip, error, closeHung, warning, ...details } = parsed;
  if (typeof closeHung === 'string') warnings.push(closeHung);
  if (typeof warning === 'string') warnings.push(warning);
  return {
    ...(typeof value === 'number' ? { value } : {}),
    ...(typeof unit === 'string' ? { unit } : {}),
    ...(typeof skip === 'string' ? { skip } : {}),
    ...(typeof error === 'string' ? { error } : {}),
    details,
    warnings,
    wallMs,
  };
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL'); // the sample's own process group, made for it by detached: true
  } catch {
    // already gone
  }
}

/** Live processes whose process group is `pgid` (Linux /proc; elsewhere none are found). */
function processesInGroup(pgid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields: state, ppid, pgrp, …; a zombie (Z) is already dead and only waits to be reaped.
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') found.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return found;
}
