// The `concurrent-futures worker` command, and the subpath's error when bullmq and ioredis are
// not installed (the rest of the package loads without them).

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromModule } from 'concurrent-futures';
import { QueueExecutor } from 'concurrent-futures/queue';
import {
  describeWithRedis,
  projectRoot,
  startRedis,
  tasksModule,
  uniqueQueue,
  until,
  wrongPasswordUrl,
  type RedisServer,
} from './support.js';

const bin = join(projectRoot, 'bin', 'concurrent-futures.js');
const TASKS = './tests/queue/fixtures/tasks.mjs';

describe('the queue subpath without its peer dependencies', () => {
  test('the package root loads; concurrent-futures/queue throws an error saying what to install', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cf-no-peers-'));
    try {
      cpSync(join(projectRoot, 'dist'), join(dir, 'dist'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(
        join(projectRoot, 'node_modules', 'p-queue'),
        join(dir, 'node_modules', 'p-queue'),
      );
      const root = spawnSync(
        process.execPath,
        ['-e', "import('./dist/index.js').then((m) => console.log(typeof m.ThreadPoolExecutor))"],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(root.stdout.trim()).toBe('function');
      const queue = spawnSync(
        process.execPath,
        ['-e', "import('./dist/queue/index.js').catch((e) => console.log(e.message))"],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(queue.stdout).toMatch(/npm install bullmq@6 ioredis/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('concurrent-futures worker: bad command lines', () => {
  test('without --allow it refuses to start, saying why', () => {
    const result = spawnSync(
      process.execPath,
      [bin, 'worker', '--redis', 'redis://127.0.0.1:1', '--queue', 'q'],
      {
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/--allow MODULE is required/);
  });

  test('an --allow path that names no file refuses to start, naming it', () => {
    const result = spawnSync(
      process.execPath,
      [
        bin,
        'worker',
        '--redis',
        'redis://127.0.0.1:1',
        '--queue',
        'q',
        '--allow',
        './dist/taks.js',
      ],
      { cwd: projectRoot, encoding: 'utf8', timeout: 20_000 }, // a hang fails instead
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/--allow \.\/dist\/taks\.js: there is no file/);
  });

  test.each([
    [['--lock-duration', '0'], /--lock-duration/, /lockDuration/],
    [['--workers', '0'], /--workers/, /`workers`/],
    [['--max-stalled-count', '1.5'], /--max-stalled-count/, /maxStalledCount/],
    [['--root', '/nonexistent-root'], /--root/, /`root`/],
  ])(
    'a bad value of %j is told by its flag, not by the option behind it',
    (flag, said, notSaid) => {
      const result = spawnSync(
        process.execPath,
        [
          bin,
          'worker',
          '--redis',
          'redis://127.0.0.1:1',
          '--queue',
          'q',
          '--allow',
          'tests/queue/fixtures/tasks.mjs',
          ...flag,
        ],
        { cwd: projectRoot, encoding: 'utf8', timeout: 20_000 },
      );
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(said);
      expect(result.stderr).not.toMatch(notSaid);
    },
  );

  test('--end-grace-ms Infinity is taken, as the option takes it', async () => {
    const child = spawn(
      process.execPath,
      [
        bin,
        'worker',
        '--redis',
        'redis://127.0.0.1:1',
        '--queue',
        'q',
        '--allow',
        'tests/queue/fixtures/tasks.mjs',
        '--end-grace-ms',
        'Infinity',
      ],
      { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    // Past the flags, it tries to reach Redis (port 1: never), and says so.
    await until(() => /cannot reach Redis/.test(errors), 'the host trying Redis');
    expect(errors).not.toMatch(/expects a number/);
    child.kill('SIGKILL');
  });

  test('a Redis it cannot reach is said at once on stderr, not waited for in silence', async () => {
    const child = spawn(
      process.execPath,
      [bin, 'worker', '--redis', 'redis://127.0.0.1:1', '--queue', 'q', '--allow', TASKS],
      { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const said = await new Promise<string>((resolve, reject) => {
        let stderr = '';
        const timer = setTimeout(
          () => reject(new Error(`nothing said in 15 s: ${stderr}`)),
          15_000,
        );
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('\n')) {
            clearTimeout(timer);
            resolve(stderr);
          }
        });
      });
      expect(said).toMatch(
        /cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/? \(.*ECONNREFUSED.*\); retrying/,
      );
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('a --redis URL that does not parse says what is wrong with it, without its password', () => {
    // ioredis said only "Invalid URL".
    const result = spawnSync(
      process.execPath,
      [
        bin,
        'worker',
        '--redis',
        'redis://me:se/cret@127.0.0.1:99999',
        '--queue',
        'q',
        '--allow',
        TASKS,
      ],
      { cwd: projectRoot, encoding: 'utf8', timeout: 20_000 },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /"redis:\/\/me:\*\*\*@127\.0\.0\.1:99999" is not a valid URL: the port/,
    );
    expect(result.stderr).not.toMatch(/cret/);
  });

  test('--help prints the usage', () => {
    const result = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/--allow MODULE/);
  });
});

describeWithRedis('concurrent-futures worker', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  test('a password Redis refuses: one message that says how to give it, and exit code 1', async () => {
    // It once said "retrying until it answers", then exited.
    const url = new URL(await wrongPasswordUrl(redis.url, `cf-cli-${process.pid}`));
    const result = spawnSync(
      process.execPath,
      [bin, 'worker', '--redis', url.href, '--queue', 'q', '--allow', TASKS],
      { cwd: projectRoot, encoding: 'utf8', timeout: 20_000 },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).not.toMatch(/retrying/);
    expect(result.stderr).toMatch(
      /WRONGPASS.*Give the password in --redis as redis:\/\/:PASSWORD@/,
    );
    expect(result.stderr).not.toMatch(/wrong/);
  });

  test('runs calls on a process pool, and SIGTERM closes it with exit code 0', async () => {
    const queue = uniqueQueue('cli');
    const child = spawn(
      process.execPath,
      [
        bin,
        'worker',
        '--redis',
        redis.url,
        '--queue',
        queue,
        '--allow',
        'tests/queue/fixtures/tasks.mjs',
        '--pool',
        'process',
        '--workers',
        '2',
      ],
      { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    let output = '';
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready.')) resolve();
      });
      void exited.then((code) => reject(new Error(`the worker exited (${code}): ${output}`)));
    });
    await using executor = new QueueExecutor({ connection: redis.url, queue });
    const add = fromModule<(a: number, b: number) => number>(tasksModule, 'add');
    expect(await Promise.all([1, 2, 3].map((i) => executor.submit(add, i, i)))).toEqual([2, 4, 6]);
    // A call that ends its child: the host says so, replaces its pool, and runs the next calls.
    const exitProcess = fromModule<(code: number) => never>(tasksModule, 'exitProcess');
    await executor.submit(exitProcess, 9).exception();
    expect(await executor.submit(add, 20, 22)).toBe(42);
    expect(errors).toMatch(
      /a call ended one of this host's pool workers, which broke the pool \(.*exited with code 9.*\); the calls running on it failed, and a new pool takes the next calls/,
    );
    // A child killed by SIGHUP (as a supervisor's group signal would): said to come from outside.
    const signalOwnProcess = fromModule<(signal: string) => never>(tasksModule, 'signalOwnProcess');
    const killed = (await executor.submit(signalOwnProcess, 'SIGHUP').exception()) as Error;
    expect(killed.message).toMatch(
      /was killed by SIGHUP while this call ran there, a signal from outside the host/,
    );
    expect(await executor.submit(add, 1, 1)).toBe(2);
    expect(errors).toMatch(
      /pool workers was killed by SIGHUP from outside the host \(under systemd, set KillMode=mixed\)/,
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
