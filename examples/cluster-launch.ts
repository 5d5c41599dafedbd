// Starting what the cluster example (and the queue benchmark) needs on this one machine: a
// redis-server of its own (or REDIS_URL's), and worker hosts as separate processes running
// `concurrent-futures worker`, exactly as they would run on other machines.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const bin = join(projectRoot, 'bin', 'concurrent-futures.js');

export interface Redis {
  url: string;
  stop(): Promise<void>;
}

/** REDIS_URL's server, or a redis-server started on a free port; undefined if there is neither. */
export async function startRedis(): Promise<Redis | undefined> {
  if (process.env.REDIS_URL !== undefined)
    return { url: process.env.REDIS_URL, stop: async () => {} };
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'cf-cluster-redis-'));
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as { port: number };
      server.close(() => resolve(free));
    });
  });
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await waitForLine(child, 'Ready to accept connections');
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const HOW_TO_GET_REDIS =
  'No redis-server found. Install Redis (apt-get install redis-server, brew install redis, or ' +
  'docker run -p 6379:6379 redis) or point REDIS_URL at a server, then run this again.';

export interface Host {
  name: string;
  stop(): Promise<void>;
}

/** Starts `concurrent-futures worker` in a process of its own (with tsx, since the tasks are TypeScript). */
export async function startHost(
  name: string,
  redis: string,
  queue: string,
  extra: string[] = [],
): Promise<Host> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      bin,
      'worker',
      '--redis',
      redis,
      '--queue',
      queue,
      '--allow',
      'examples/cluster-tasks.ts',
      ...extra,
    ],
    {
      cwd: projectRoot,
      env: { ...process.env, CLUSTER_HOST_NAME: name },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await waitForLine(child, 'Ready.');
  return {
    name,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function waitForLine(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes(text)) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`${String(child.spawnargs[0])} exited (${code}): ${output}`)),
    );
  });
}
