// Test support for the queue suite: a real redis-server of its own (127.0.0.1, a free port, a
// temporary data directory with the append-only file on, so a restart keeps the data), and worker
// hosts as separate node processes. REDIS_URL points the suite at another server instead; with
// neither a redis-server binary nor REDIS_URL, the suite is skipped with one line saying how to
// install it.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const tasksModule = new URL('./fixtures/tasks.mjs', import.meta.url);
export const otherModule = new URL('./fixtures/other-tasks.mjs', import.meta.url);
const hostScript = fileURLToPath(new URL('./fixtures/host.mjs', import.meta.url));

const hasBinary = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
export const redisAvailable = hasBinary || process.env.REDIS_URL !== undefined;
/** True when the suite runs its own server, so it can kill and restart it. */
export const ownServer = process.env.REDIS_URL === undefined;

/** `describe`, or `describe.skip` with one line saying how to get Redis. */
export function describeWithRedis(name: string, body: () => void): void {
  if (redisAvailable) {
    describe(name, body);
    return;
  }
  console.warn(
    `Skipping "${name}": no redis-server found. Install it (apt-get install redis-server, brew install redis) or set REDIS_URL.`,
  );
  describe.skip(name, body);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  /** SIGKILLs the server (own server only). */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory (own server only). */
  restart(): Promise<void>;
  /** SIGSTOPs the server: its connections stay open, and nothing answers (own server only). */
  freeze(): void;
  /** SIGCONTs it (own server only). */
  thaw(): void;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  if (process.env.REDIS_URL !== undefined) {
    return {
      url: process.env.REDIS_URL,
      kill: () => Promise.reject(new Error('cannot kill a REDIS_URL server')),
      restart: () => Promise.reject(new Error('cannot restart a REDIS_URL server')),
      freeze: () => {
        throw new Error('cannot freeze a REDIS_URL server');
      },
      thaw: () => {
        throw new Error('cannot thaw a REDIS_URL server');
      },
      stop: async () => {},
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'cf-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const server = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--protected-mode',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = server;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      server.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      server.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
    });
    server.stdout!.resume();
  };
  const kill = async (): Promise<void> => {
    const server = child;
    if (server === undefined || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: launch,
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function uniqueQueue(label: string): string {
  return `cf-test-${label}-${randomBytes(4).toString('hex')}`;
}

export interface Host {
  child: ChildProcess;
  name: string;
  /** Resolves with the exit code or signal when the process ends. */
  exited: Promise<number | string | null>;
  stop(): Promise<void>;
}

export interface HostOptions {
  redis: string;
  queue: string;
  name?: string;
  allow?: string[];
  pool?: 'process' | 'thread' | 'event-loop';
  workers?: number;
  [key: string]: unknown;
}

/** Starts a worker host in a node process of its own; resolves once it is connected. */
export async function startHost(options: HostOptions): Promise<Host> {
  const { redis, name = 'host', ...rest } = options;
  const settings = {
    connection: redis,
    allow: ['./tests/queue/fixtures/tasks.mjs'],
    pool: 'event-loop',
    workers: 4,
    root: projectRoot,
    lockDuration: 2000,
    stalledInterval: 1000,
    ...rest,
  };
  const child = spawn(process.execPath, [hostScript, JSON.stringify(settings)], {
    cwd: projectRoot,
    env: { ...process.env, HOST_NAME: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    void exited.then((how) =>
      reject(new Error(`host ${name} exited (${how}) before it was ready: ${stderr}`)),
    );
  });
  return {
    child,
    name,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      // A host that does not close (a test that found a hang) must not outlive the suite.
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(kill);
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `condition()` holds (it may ask Redis, and return a promise), polling; fails after
 * `ms` (a hang becomes a failure).
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * A URL of `redisUrl`'s server that logs in with a password it refuses: it makes an ACL user
 * `user` whose password is another.
 */
export async function wrongPasswordUrl(redisUrl: string, user: string): Promise<string> {
  const { Redis } = await import('ioredis');
  const admin = new Redis(redisUrl);
  await admin.call('ACL', 'SETUSER', user, 'on', '>right', '~*', '&*', '+@all');
  await admin.quit();
  const url = new URL(redisUrl);
  url.username = user;
  url.password = 'wrong';
  return url.href;
}
