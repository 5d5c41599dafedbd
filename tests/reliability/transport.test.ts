// The pools' transport (issue 15, rows 1, 2, 4, 5, 9, 14, 18): values that cannot travel, in
// either direction; code in a call that speaks on or deafens the channel; results that must
// outlive their worker; a call aborted before its child starts it; a child's last messages.
// Every test runs on real threads and real child processes, and a hang fails it (withTimeout).

import type { ThreadPoolExecutor } from 'concurrent-futures';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KINDS,
  cleanUpAfterEach,
  makePool,
  scratchDir,
  withTimeout,
  type AnyPool,
} from './support.js';

cleanUpAfterEach();

// Functions travel by source: each is self-contained.
function values(kind: string): unknown {
  if (kind === 'self-cause') {
    const error = new Error('self-cause') as Error & { cause?: unknown };
    error.cause = error;
    return error;
  }
  return `result of ${kind}`;
}

function throwSelfCause(): never {
  const error = new Error('thrown self-cause') as Error & { cause?: unknown };
  error.cause = error;
  throw error;
}

function echo(value: unknown): unknown {
  return value;
}

function threadId(): number {
  const { threadId: id } = process.getBuiltinModule('node:worker_threads');
  return id === 0 ? process.pid : id;
}

/** Each future's outcome: ['ok', value] or ['error', message]. */
async function outcomes(futures: { result(): Promise<unknown> }[]): Promise<[string, unknown][]> {
  return withTimeout(
    Promise.all(
      futures.map((future) =>
        future.result().then(
          (value): [string, unknown] => ['ok', value],
          (error: unknown): [string, unknown] => [
            'error',
            String((error as Error)?.message ?? error),
          ],
        ),
      ),
    ),
    20_000,
    'the futures',
  );
}

async function shutdownWithin(pool: AnyPool, options?: { cancelFutures: boolean }): Promise<void> {
  await withTimeout(pool.shutdown({ wait: true, ...options }), 20_000, 'shutdown()');
}

const unreadableResult = /could not be read back from the worker.*Error whose cause is itself/s;
const unreadableArgument = /arguments of this call could not be read back.*did not run/s;

describe.each(KINDS)('%s pool: row 1, a value that serialises but cannot be read back', (kind) => {
  test('a result fails its own future alone; every later result reaches its own future', async () => {
    const pool = makePool(kind, { maxWorkers: 1 });
    await pool.submit(echo, 'warm').result();
    const futures = ['self-cause', 'b', 'c'].map((name) => pool.submit(values, name));
    const got = await outcomes(futures);
    expect(got[0]![0]).toBe('error');
    expect(got[0]![1]).toMatch(unreadableResult);
    expect(got.slice(1)).toEqual([
      ['ok', 'result of b'],
      ['ok', 'result of c'],
    ]);
    await shutdownWithin(pool);
  });

  test('the last message lost does not hang: its call fails, the one before keeps its result', async () => {
    const pool = makePool(kind, { maxWorkers: 1 });
    const got = await outcomes([pool.submit(values, 'a'), pool.submit(values, 'self-cause')]);
    expect(got[0]).toEqual(['ok', 'result of a']);
    expect(got[1]![1]).toMatch(unreadableResult);
    await shutdownWithin(pool);
  });

  test('in the last batch before the worker exits (shutdown), it fails alone; shutdown completes', async () => {
    const pool = makePool(kind, { maxWorkers: 1 });
    await pool.submit(echo, 'warm').result();
    const futures = [
      pool.submit(values, 'a'),
      pool.submit(values, 'self-cause'),
      pool.submit(values, 'c'),
    ];
    const shutdown = pool.shutdown({ wait: true });
    const got = await outcomes(futures);
    expect(got[0]).toEqual(['ok', 'result of a']);
    expect(got[1]![1]).toMatch(unreadableResult);
    expect(got[2]).toEqual(['ok', 'result of c']);
    await withTimeout(shutdown, 20_000, 'shutdown()');
  });

  test('a thrown one fails its own future, and the caller and pool live on', async () => {
    const pool = makePool(kind, { maxWorkers: 1 });
    const got = await outcomes([pool.submit(throwSelfCause), pool.submit(values, 'after')]);
    expect(got[0]![0]).toBe('error');
    expect(got[0]![1]).toMatch(/thrown self-cause/);
    expect(got[1]).toEqual(['ok', 'result of after']);
    await shutdownWithin(pool);
  });

  test('an argument fails only its own call, which never ran; its neighbours run', async () => {
    const pool = makePool(kind, { maxWorkers: 1 });
    await pool.submit(echo, 'warm').result();
    const bad = values('self-cause');
    const got = await outcomes([
      pool.submit(echo, 'before'),
      pool.submit(echo, bad),
      pool.submit(echo, 'after'),
    ]);
    expect(got[0]).toEqual(['ok', 'before']);
    expect(got[1]![0]).toBe('error');
    expect(got[1]![1]).toMatch(unreadableArgument);
    expect(got[2]).toEqual(['ok', 'after']);
    await shutdownWithin(pool);
  });
});

function valuesOrExit(kind: string): unknown {
  if (kind === 'exit') process.exit(7);
  if (kind === 'self-cause') {
    const error = new Error('self-cause') as Error & { cause?: unknown };
    error.cause = error;
    return error;
  }
  return `result of ${kind}`;
}

test('thread pool, row 1: results finished before a call exits the thread keep their own outcomes, even beside an unreadable one', async () => {
  const pool = makePool('thread', { maxWorkers: 1 });
  await pool.submit(valuesOrExit, 'warm').result(); // known fast: results travel in batches
  const got = await outcomes(
    ['a', 'self-cause', 'c', 'exit', 'after'].map((name) => pool.submit(valuesOrExit, name)),
  );
  expect(got[0]).toEqual(['ok', 'result of a']);
  expect(got[1]![1]).toMatch(unreadableResult);
  expect(got[2]).toEqual(['ok', 'result of c']);
  expect(got[3]![1]).toMatch(/died while running this call/);
  expect(got[4]).toEqual(['ok', 'result of after']);
  await shutdownWithin(pool);
});

describe.each(KINDS)('%s pool: row 1 in a chunk of map()', (kind) => {
  test('the items before an unreadable one are yielded, then the error; nothing shifts', async () => {
    const pool = makePool(kind, { maxWorkers: 1 });
    const names = ['a', 'b', 'self-cause', 'd', 'e', 'f'];
    const seen: unknown[] = [];
    let failure: unknown;
    try {
      for await (const value of pool.map(values, names, { chunksize: 3 })) seen.push(value);
    } catch (error) {
      failure = error;
    }
    expect(seen).toEqual(['result of a', 'result of b']);
    expect(String((failure as Error)?.message)).toMatch(unreadableResult);
    expect(await withTimeout(pool.submit(values, 'next').result(), 20_000, 'next')).toBe(
      'result of next',
    );
    await shutdownWithin(pool);
  });
});

// ── Row 2: the pool's channel is its own ─────────────────────────────────────────────────────

function postOnParentPort(what: string): string {
  const forged = { t: 'done', first: 0, results: [0, 'forged'], busyMs: 0 };
  const message = what === 'null' ? null : forged;
  const { parentPort } = process.getBuiltinModule('node:worker_threads');
  if (parentPort !== null) parentPort.postMessage(message);
  else process.send!(message);
  return 'real';
}

function deafen(): string {
  const { parentPort } = process.getBuiltinModule('node:worker_threads');
  (parentPort ?? process).removeAllListeners('message');
  return 'deafened';
}

describe.each(KINDS)('%s pool: row 2, the channel is its own', (kind) => {
  test.each(['null', 'forged'])(
    'a call that posts %s where the pool used to listen is not heard',
    async (what) => {
      const pool = makePool(kind, { maxWorkers: 1 });
      const got = await outcomes([pool.submit(postOnParentPort, what), pool.submit(echo, 'next')]);
      expect(got).toEqual([
        ['ok', 'real'],
        ['ok', 'next'],
      ]);
      await shutdownWithin(pool);
    },
  );

  test('a call that removes every message listener does not deafen its worker', async () => {
    const pool = makePool(kind, { maxWorkers: 1 });
    expect(await withTimeout(pool.submit(deafen).result(), 20_000, 'deafen')).toBe('deafened');
    expect(await withTimeout(pool.submit(echo, 'heard').result(), 20_000, 'the next call')).toBe(
      'heard',
    );
    await shutdownWithin(pool);
  });
});

/**
 * Finds the pool's own port through a private API and posts on it a 'done' shaped like the
 * runtime's, for the two calls after this one: without the thread's key it must not be read.
 */
function forgeDoneOnPoolPort(): string {
  const { parentPort } = process.getBuiltinModule('node:worker_threads');
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  let posted = 0;
  for (const handle of handles) {
    if (handle === parentPort || (handle as object)?.constructor?.name !== 'MessagePort') continue;
    const forged = { t: 'done', first: 2, results: [0, 'FORGED-A', 0, 'FORGED-B'], busyMs: 0 };
    (handle as { postMessage(message: unknown): void }).postMessage(forged);
    (handle as { postMessage(message: unknown): void }).postMessage([0, 0, forged]);
    posted++;
  }
  return posted > 0 ? 'forged' : 'no port found';
}

test("thread pool: a 'done' forged on the pool's own port is not read; every call keeps its result", async () => {
  const pool = makePool('thread', { maxWorkers: 1 });
  expect(await withTimeout(pool.submit(echo, 'first').result(), 20_000, 'first')).toBe('first');
  const got = await withTimeout(
    outcomes([
      pool.submit(forgeDoneOnPoolPort),
      pool.submit(echo, 'second'),
      pool.submit(echo, 'third'),
    ]),
    20_000,
    'the calls around a forged message',
  );
  expect(got).toEqual([
    ['ok', 'forged'],
    ['ok', 'second'],
    ['ok', 'third'],
  ]);
  await shutdownWithin(pool);
});

/**
 * Looks for the pool's start flags where the thread was given them and marks every slot
 * "cancelled" (2): read, that would make the worker skip the calls handed ahead to it.
 */
function cancelThroughWorkerData(): string {
  const { workerData } = process.getBuiltinModule('node:worker_threads');
  const init = (workerData as { init?: Record<string, unknown> } | undefined)?.init ?? {};
  const found = Object.values(init).filter((value) => value instanceof SharedArrayBuffer);
  for (const buffer of found) {
    const flags = new Int32Array(buffer as SharedArrayBuffer);
    for (let i = 0; i < flags.length; i++) Atomics.compareExchange(flags, i, 0, 2);
  }
  return `${found.length} shared buffers in workerData`;
}

test('thread pool: a call cannot reach the start flags through workerData; the calls behind it run', async () => {
  const pool = makePool('thread', { maxWorkers: 1 });
  // Measured fast, so the calls behind the tampering one are handed ahead to the same thread.
  for (let round = 0; round < 3; round++)
    await Promise.all(Array.from({ length: 50 }, (_, i) => pool.submit(echo, i)));
  const got = await withTimeout(
    outcomes([
      pool.submit(cancelThroughWorkerData),
      ...Array.from({ length: 5 }, (_, i) => pool.submit(echo, i)),
    ]),
    20_000,
    'the calls behind a start-flag tamperer',
  );
  expect(got).toEqual([
    ['ok', '0 shared buffers in workerData'],
    ...Array.from({ length: 5 }, (_, i) => ['ok', i]),
  ]);
  await shutdownWithin(pool);
});

function writeGarbageOnChannel(): string {
  // fd 5 is the pool's own pipe in a child (CHANNEL_FD): bytes that are not a frame are skipped.
  process.getBuiltinModule('node:fs').writeSync(5, 'not a frame \u0000\u0001 at all');
  return 'after garbage';
}

/**
 * Writes on the pool's pipe what a frame of the runtime's looks like, without the child's key: a
 * header whose length claims 64 KiB that never come, or a whole 'handBack' frame that, if read,
 * hands back the calls this child holds, itself included. Counts its runs in `log`.
 */
function forgeFrameOnChannel(what: 'header' | 'handBack', log: string): string {
  const fs = process.getBuiltinModule('node:fs');
  fs.appendFileSync(log, 'ran\n');
  const body =
    what === 'header'
      ? Buffer.alloc(0)
      : process.getBuiltinModule('node:v8').serialize({ t: 'handBack', from: 0, count: 5 });
  const header = Buffer.alloc(16); // marker, length, and an 8-byte key the forger does not know
  header.writeUInt32LE(0xcf0f5eed, 0);
  header.writeUInt32LE(what === 'header' ? 65_536 : body.length, 4);
  fs.writeSync(5, Buffer.concat([header, body]));
  return `forged ${what}`;
}

test.each(['header', 'handBack'] as const)(
  "process pool, row 2: a forged %s on the pool's pipe is not read; every call settles once",
  async (what) => {
    const pool = makePool('process', { maxWorkers: 1 });
    const log = join(scratchDir(), 'runs');
    const got = await withTimeout(
      outcomes([
        pool.submit(forgeFrameOnChannel, what, log),
        pool.submit(echo, 'second'),
        pool.submit(echo, 'third'),
      ]),
      20_000,
      'the calls around a forged frame',
    );
    expect(got).toEqual([
      ['ok', `forged ${what}`],
      ['ok', 'second'],
      ['ok', 'third'],
    ]);
    expect(readFileSync(log, 'utf8')).toBe('ran\n');
    await shutdownWithin(pool);
  },
);

test("process pool, row 2: bytes on the pool's pipe that are not a frame are ignored", async () => {
  const pool = makePool('process', { maxWorkers: 1 });
  const got = await outcomes([pool.submit(writeGarbageOnChannel), pool.submit(echo, 'next')]);
  expect(got).toEqual([
    ['ok', 'after garbage'],
    ['ok', 'next'],
  ]);
  await shutdownWithin(pool);
});

// ── Row 4: an argument whose serialisation throws or overflows the stack ─────────────────────

function deeplyNested(depth: number): unknown[] {
  let value: unknown[] = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe.each(KINDS)('%s pool: row 4, arguments that cannot be serialised', (kind) => {
  test.each([
    [
      'a throwing getter',
      () => ({
        get boom(): never {
          throw new Error('getter threw');
        },
      }),
    ],
    ['an array nested 200,000 deep', () => deeplyNested(200_000)],
  ])('%s fails its own future at once; an innocent call and shutdown finish', async (_, make) => {
    const pool = makePool(kind, { maxWorkers: 1 });
    const bad = pool.submit(echo, make());
    await new Promise((resolve) => setTimeout(resolve, 100));
    const innocent = pool.submit(echo, 'innocent');
    const got = await outcomes([bad, innocent]);
    expect(got[0]![0]).toBe('error');
    expect(got[0]![1]).toMatch(/could not be sent to a worker/);
    expect(got[1]).toEqual(['ok', 'innocent']);
    await shutdownWithin(pool, { cancelFutures: true });
  });
});

// ── Row 5: thrown values the error encoder used to choke on ──────────────────────────────────

function throwOdd(kind: string): unknown {
  if (kind === 'null-prototype') {
    const value = Object.create(null) as Record<string, unknown>;
    value.method = function method(): void {};
    throw value;
  }
  if (kind === 'toPrimitive') {
    throw {
      fn(): void {},
      [Symbol.toPrimitive](): never {
        throw new Error('toPrimitive threw');
      },
    };
  }
  if (kind === 'name-getter') {
    const error = new Error('has a bad name');
    Object.defineProperty(error, 'name', {
      get(): never {
        throw new Error('name getter threw');
      },
    });
    throw error;
  }
  if (kind === 'proxy') {
    throw new Proxy(
      {},
      {
        get(): never {
          throw new Error('proxy get threw');
        },
      },
    );
  }
  if (kind === 'then-getter') {
    return {
      get then(): never {
        throw new Error('then getter threw');
      },
    };
  }
  return 'plain';
}

describe.each(KINDS)('%s pool: row 5, anything a call throws', (kind) => {
  test.each(['null-prototype', 'toPrimitive', 'name-getter', 'proxy', 'then-getter'])(
    '%s: the future fails, the same worker lives on',
    async (what) => {
      const pool = makePool(kind, { maxWorkers: 1 });
      const before = await withTimeout(pool.submit(threadId).result(), 20_000, 'threadId');
      const got = await outcomes([pool.submit(throwOdd, what), pool.submit(throwOdd, 'next')]);
      expect(got[0]![0]).toBe('error');
      if (what === 'then-getter') expect(got[0]![1]).toMatch(/then getter threw/);
      expect(got[1]).toEqual(['ok', 'plain']);
      expect(await pool.submit(threadId).result()).toBe(before);
      await shutdownWithin(pool);
    },
  );
});

// ── Row 9: finished results outlive a thread that runs out of memory ─────────────────────────

function fillMemory(n: number): number {
  if (n >= 0) return n;
  const hoard: number[][] = [];
  for (;;) hoard.push(new Array(1_000_000).fill(n));
}

test('thread pool, row 9: calls finished before one that runs out of memory keep their results', async () => {
  const pool = makePool('thread', {
    maxWorkers: 1,
    resourceLimits: { maxOldGenerationSizeMb: 32 },
  }) as ThreadPoolExecutor;
  await pool.submit(fillMemory, 0).result(); // known fast: results would travel in batches
  const first = Array.from({ length: 50 }, (_, i) => pool.submit(fillMemory, i));
  const oom = pool.submit(fillMemory, -1);
  const after = Array.from({ length: 50 }, (_, i) => pool.submit(fillMemory, 100 + i));
  const got = await outcomes([...first, oom, ...after]);
  expect(got.slice(0, 50)).toEqual(first.map((_, i) => ['ok', i]));
  expect(got[50]![0]).toBe('error');
  expect(got[50]![1]).toMatch(/out of memory/);
  expect(got.slice(51)).toEqual(after.map((_, i) => ['ok', 100 + i]));
  await shutdownWithin(pool);
}, 60_000);

// ── Row 14: a process call aborted after it was handed to a child, before it started ─────────

/** An initializer that holds the child until the file `gate` exists (20 s at most). */
async function slowStart(gate: string): Promise<void> {
  const { existsSync } = process.getBuiltinModule('node:fs');
  for (const until = Date.now() + 20_000; !existsSync(gate) && Date.now() < until;)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

function countRun(): number {
  const state = globalThis as { runs?: number };
  state.runs = (state.runs ?? 0) + 1;
  return state.runs;
}

function runsSoFar(): number {
  return (globalThis as { runs?: number }).runs ?? 0;
}

test('process pool, row 14: an aborted call handed to a starting child fails with the reason and never runs', async () => {
  // No grace that would end the child: the same child must skip the call, not be replaced.
  // The child's initializer waits at a gate opened only after the abort: however slow this
  // process is, the call cannot start first.
  const gate = join(scratchDir(), 'gate');
  const pool = makePool('process', {
    maxWorkers: 1,
    initializer: slowStart,
    initargs: [gate],
    endGraceMs: 600_000,
  });
  const controller = new AbortController();
  const future = pool.schedule(countRun, { signal: controller.signal });
  await new Promise((resolve) => setTimeout(resolve, 300)); // handed to the child, which is starting
  const reason = new Error('aborted before it started');
  controller.abort(reason);
  writeFileSync(gate, '');
  await expect(withTimeout(future.result(), 20_000, 'the aborted call')).rejects.toBe(reason);
  const pid = pool.workerIds[0];
  expect(await withTimeout(pool.submit(runsSoFar).result(), 20_000, 'runsSoFar')).toBe(0);
  expect(pool.workerIds).toEqual([pid]);
  await shutdownWithin(pool);
});

// ── Row 18: a child's exit is reported only after its last messages are read ─────────────────

function bigResult(size: number): string {
  return 'x'.repeat(size);
}

test('process pool, row 18: the last result of a child that exits at once after it is not taken for a death', async () => {
  // maxTasksPerChild 1: each child sends one large result and exits as soon as it is written,
  // often before this process has read it all.
  const pool = makePool('process', { maxWorkers: 2, maxTasksPerChild: 1 });
  const futures = Array.from({ length: 8 }, () => pool.submit(bigResult, 4_000_000));
  const got = await outcomes(futures);
  for (const [status, value] of got) {
    expect(status).toBe('ok');
    expect((value as string).length).toBe(4_000_000);
  }
  await shutdownWithin(pool);
}, 60_000);
