// The "Ending a running call" scenarios (docs: ../../../shared/spec/API.md, "Ending a running
// call — beyond Python"; issue 11), registered for one executor by `describeEnding`. Every way the
// executors differ is declared in executors.ts and read here, nowhere else.
//
// Timing: where time is the point, the tests assert outcomes and order, with bounds far from the
// values at stake (a 50 ms call under a 1000 ms limit behind a 1500 ms call). "At once" is asserted
// without a clock: the future is done right after abort() returns (a map's step has thrown before
// any I/O or timer could run). "Started" is a fact the call writes to a file, never a guess from the
// clock. A call that must still be running when the test looks waits for the release file, not for
// a time: a loaded machine can stall the test's process for a second and more, so no outcome may
// depend on how soon the test (or the executor's timer) reacts.

import { getEventListeners } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CancelledError,
  TimeoutError,
  currentSignal,
  type Executor,
  type Future,
} from 'concurrent-futures';
import type { EndingExecutor, EndingOptions } from './executors.js';
import { errorOf, isAlive, startSilentServer, until, type SilentServer } from './support.js';
import {
  appendItem,
  exitOnAbort,
  fetchWithCurrentSignal,
  markRan,
  probeSignalInInitializer,
  readGlobal,
  signalAcrossAwaits,
  signalBeforeAndAfter,
  slowCall,
  spinDeafToSigterm,
  spinForever,
  warmUpFetch,
  workerId,
  type SlowJob,
} from './tasks.js';

type TestBody = () => Promise<void>;

let keys = 0;
function uniqueKey(label: string): string {
  return `__ending_${label}_${process.pid}_${++keys}`;
}

export function describeEnding(target: EndingExecutor): void {
  const endsWorkers = target.endsWorker !== undefined;
  const onlyIf = (holds: boolean, why: string) => (title: string, body: TestBody) =>
    holds ? test(title, body) : test.skip(`${title} (skipped: ${why})`, body);
  const testIfEndsSyncLoop = onlyIf(
    target.cannotEndSyncLoop === undefined,
    target.cannotEndSyncLoop ?? '',
  );
  const testIfWorkers = onlyIf(endsWorkers, 'it has no worker to end');
  const testIfSignals = onlyIf(
    target.endsWorker === 'SIGTERM, then SIGKILL',
    'it sends no signals',
  );
  const testIfSharesMemory = onlyIf(
    target.sharesMemory,
    'a signal cannot travel back from a worker',
  );

  describe(`${target.name}: ending a running call`, () => {
    let dir: string;
    let made: Executor[];
    let servers: SilentServer[];

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'cf-ending-'));
      made = [];
      servers = [];
    });

    afterEach(async () => {
      // Every slow call stops at the release file; then every executor, worker and server goes.
      release();
      await Promise.all([
        ...made.map((executor) => target.cleanUp(executor)),
        ...servers.map((server) => server.close()),
      ]);
      rmSync(dir, { recursive: true, force: true });
    });

    function make(options?: EndingOptions): Executor {
      const executor = target.create(options);
      made.push(executor);
      return executor;
    }

    async function server(): Promise<SilentServer> {
      const started = await startSilentServer();
      servers.push(started);
      return started;
    }

    function job(label: string, ms: number, stopOnAbort = false, value: unknown = label): SlowJob {
      return { dir, label, ms, stopOnAbort, value };
    }

    /** What the call `label` wrote to its `.suffix` mark, or undefined if it did not. */
    function mark(label: string, suffix: 'started' | 'aborted' | 'finished'): string | undefined {
      const file = join(dir, `${label}.${suffix}`);
      return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    }

    /** Lets every slow call of this test finish now (they poll for this file). */
    function release(): void {
      writeFileSync(join(dir, 'release'), 'release');
    }

    function ids(executor: Executor): number[] {
      return target.workerIds?.(executor) ?? [];
    }

    /** Polls a value read through the executor until `ok`: the EventLoopExecutor may read before the ended call has wound up. */
    async function readWhen(
      executor: Executor,
      key: string,
      ok: (value: unknown) => boolean,
    ): Promise<unknown> {
      const started = Date.now();
      for (;;) {
        const value = await executor.submit(readGlobal, key);
        if (ok(value) || Date.now() - started > 5_000) return value;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }

    describe('schedule() with a timeout', () => {
      testIfEndsSyncLoop(
        'a call that loops forever fails with TimeoutError naming the function and the limit, and the next call runs on a fresh worker',
        async () => {
          const executor = make({ maxWorkers: 1, endGraceMs: 100 });
          const first = await executor.submit(workerId);

          const named = await errorOf(executor.schedule(spinForever, { timeout: 200 }));
          expect(named).toBeInstanceOf(TimeoutError);
          expect((named as Error).message).toContain('"spinForever"');
          expect((named as Error).message).toContain('200 ms');
          const second = await executor.submit(workerId);
          expect(second).not.toBe(first);
          expect(ids(executor)).toEqual([second]);

          const anonymous = await errorOf(
            executor.schedule(
              () => {
                while (true) {
                  // forever
                }
              },
              { timeout: 150 },
            ),
          );
          expect(anonymous).toBeInstanceOf(TimeoutError);
          expect((anonymous as Error).message).toContain('the submitted function');
          expect((anonymous as Error).message).toContain('150 ms');
          const third = await executor.submit(workerId);
          expect([first, second]).not.toContain(third);
          expect(ids(executor)).toEqual([third]);
        },
      );

      test("the timeout counts from the call's start, not from schedule(): a call queued behind a longer one still succeeds", async () => {
        const executor = make({ maxWorkers: 1 });
        const ahead = executor.submit(slowCall, job('ahead', 1500));
        const limited = executor.schedule(slowCall, {
          args: [job('limited', 50, false, 'in time')],
          timeout: 1000,
        });
        expect(await limited).toBe('in time');
        expect(await ahead).toBe('ahead');
        expect(mark('limited', 'aborted')).toBeUndefined();
      });

      test('a call that stops by itself at its timeout keeps its worker, and what it returns afterwards is ignored', async () => {
        // endGraceMs is long: only a call that really stopped by itself frees its worker in time.
        const executor = make({ maxWorkers: 1, endGraceMs: 10_000 });
        const future = executor.schedule(slowCall, {
          args: [job('polite', 10_000, true, 'returned late')],
          timeout: 300,
        });
        const error = await errorOf(future);
        expect(error).toBeInstanceOf(TimeoutError);
        expect((error as Error).message).toContain('"slowCall"');
        expect((error as Error).message).toContain('300 ms');

        await until(
          () => mark('polite', 'finished') !== undefined,
          'the call returned after its timeout',
        );
        expect(mark('polite', 'aborted')).toMatch(/^TimeoutError: .*300 ms/);
        if (endsWorkers) {
          const next = await executor.submit(workerId);
          expect(String(next)).toBe(mark('polite', 'started'));
          expect(ids(executor)).toEqual([next]);
        }
        expect(await future.exception()).toBe(error);
      });
    });

    describe('fetch() given currentSignal(), against a local server that never answers', () => {
      test("stops at the call's timeout by itself, and its worker is not ended", async () => {
        const slow = await server();
        const executor = make({ maxWorkers: 1, endGraceMs: 10_000 });
        // Loading fetch() in a fresh worker is not what the timeout is for: done before it.
        const before = await executor.submit(warmUpFetch, slow.readyUrl);
        const idsBefore = ids(executor);
        const key = uniqueKey('fetch-timeout');

        const future = executor.schedule(fetchWithCurrentSignal, {
          args: [slow.url, key],
          timeout: 1500,
        });
        const error = await errorOf(future);
        expect(error).toBeInstanceOf(TimeoutError);
        expect((error as Error).message).toContain('"fetchWithCurrentSignal"');
        expect((error as Error).message).toContain('1500 ms');
        // One request at most, never a retry. Not exactly one: the server runs on the test's thread
        // (and the EventLoopExecutor's fetch too), so after a stall past the timeout the deadline
        // can run before the request was read, or even sent. The outcome below is what shows that
        // the fetch itself was ended by the timeout.
        expect(slow.requests()).toBeLessThanOrEqual(1);

        // The fetch itself was aborted with (a copy of) the TimeoutError, in the same worker.
        const outcome = await readWhen(executor, key, (value) => value !== undefined);
        expect(outcome).toMatch(/^TimeoutError: .*1500 ms/);
        if (endsWorkers) {
          expect(await executor.submit(workerId)).toBe(before);
          expect(ids(executor)).toEqual(idsBefore);
        }
        // The call rethrew the abort; its future keeps the TimeoutError.
        expect(await future.exception()).toBe(error);
      });

      test('stops when the signal aborts while it runs; the future fails at once with the reason', async () => {
        const slow = await server();
        const executor = make({ maxWorkers: 1, endGraceMs: 10_000 });
        // Loading fetch() in a fresh worker is not what the timeout is for: done before it.
        const before = await executor.submit(warmUpFetch, slow.readyUrl);
        const idsBefore = ids(executor);
        const key = uniqueKey('fetch-signal');
        const controller = new AbortController();

        const future = executor.schedule(fetchWithCurrentSignal, {
          args: [slow.url, key],
          signal: controller.signal,
        });
        await until(() => slow.requests() === 1, 'the server got the request');
        const reason = new Error('the user gave up');
        controller.abort(reason);
        // At once: failed inside abort(), before the fetch (or its worker) has even heard of it.
        expect(future.done()).toBe(true);
        expect(await errorOf(future)).toBe(reason);

        expect(await readWhen(executor, key, (value) => value !== undefined)).toBe(
          'Error: the user gave up',
        );
        if (endsWorkers) {
          expect(await executor.submit(workerId)).toBe(before);
          expect(ids(executor)).toEqual(idsBefore);
        }
      });
    });

    describe('schedule() with a signal', () => {
      test('an abort before the call starts cancels it, and it never runs', async () => {
        const executor = make({ maxWorkers: 1 });
        const ahead = executor.submit(slowCall, job('ahead', 20_000)); // until released
        const controller = new AbortController();
        const future = executor.schedule(markRan, {
          args: [dir, 'never', 'ran'],
          signal: controller.signal,
        });
        await until(() => mark('ahead', 'started') !== undefined, 'the call ahead started');

        controller.abort(new Error('not wanted any more'));
        expect(future.cancelled()).toBe(true);
        expect(future.done()).toBe(true);
        expect(await errorOf(future.result())).toBeInstanceOf(CancelledError);

        release();
        expect(await ahead).toBe('ahead');
        await executor.submit(workerId); // everything queued before it has run or been dropped
        expect(mark('never', 'started')).toBeUndefined();
      });

      test('a signal already aborted at schedule() gives a cancelled future, and nothing runs', async () => {
        const executor = make({ maxWorkers: 1 });
        const reason = new Error('aborted already');
        const plain = executor.schedule(markRan, {
          args: [dir, 'never1', 1],
          signal: AbortSignal.abort(reason),
        });
        const timed = executor.schedule(markRan, {
          args: [dir, 'never2', 2],
          signal: AbortSignal.abort(reason),
          timeout: 1000,
        });
        for (const future of [plain, timed]) {
          expect(future.cancelled()).toBe(true);
          expect(await errorOf(future.result())).toBeInstanceOf(CancelledError);
        }
        await executor.submit(workerId);
        expect(mark('never1', 'started')).toBeUndefined();
        expect(mark('never2', 'started')).toBeUndefined();
      });

      test('an abort while the call runs fails its future at once with signal.reason, and the call is ended', async () => {
        const executor = make({ maxWorkers: 1, endGraceMs: 100 });
        const controller = new AbortController();
        const future = executor.schedule(slowCall, {
          args: [job('deaf', 10_000)],
          signal: controller.signal,
        });
        await until(() => mark('deaf', 'started') !== undefined, 'the call started');
        expect(future.running()).toBe(true);

        const reason = new Error('stop now');
        controller.abort(reason);
        // At once: failed inside abort(), not once the call (which ignores its signal) has ended.
        expect(future.done()).toBe(true);
        expect(await errorOf(future)).toBe(reason);
        expect(mark('deaf', 'finished')).toBeUndefined();
        await until(
          () => mark('deaf', 'aborted') !== undefined,
          "the call's currentSignal() aborted",
        );
        expect(mark('deaf', 'aborted')).toBe('Error: stop now');

        const next = await executor.submit(workerId);
        if (endsWorkers) {
          // The call ignored its signal: its worker was ended, and a fresh one took the next call.
          expect(String(next)).not.toBe(mark('deaf', 'started'));
          expect(ids(executor)).toEqual([next]);
        } else {
          // Abandoned: its slot was freed at once, and it runs on, ignored.
          expect(mark('deaf', 'finished')).toBeUndefined();
        }
        expect(await future.exception()).toBe(reason);
      });

      test("a signal whose reason getter throws: its calls fail (or are cancelled) with that getter's error, never an uncaught one", async () => {
        const executor = make({ maxWorkers: 1, endGraceMs: 100 });
        const controller = new AbortController();
        const thrown = new Error('reason getter throws');
        Object.defineProperty(controller.signal, 'reason', {
          get() {
            throw thrown;
          },
        });
        const running = executor.schedule(slowCall, {
          args: [job('getter', 10_000)],
          signal: controller.signal,
        });
        const queued = executor.schedule(markRan, {
          args: [dir, 'never-getter', 1],
          signal: controller.signal,
        });
        await until(() => mark('getter', 'started') !== undefined, 'the call started');
        // Before, the getter threw out of the abort listener: Node rethrew it (the process ended)
        // and neither future settled.
        controller.abort();
        expect(running.done()).toBe(true);
        expect(await errorOf(running)).toBe(thrown);
        expect(queued.cancelled()).toBe(true);
        await executor.submit(workerId);
        expect(mark('never-getter', 'started')).toBeUndefined();
      });

      test('one signal shared by 200 calls: one listener on it, no leak warning, and one abort cancels those not started', async () => {
        const warnings: string[] = [];
        const onWarning = (warning: Error): void => void warnings.push(warning.name);
        process.on('warning', onWarning);
        try {
          const executor = make({ maxWorkers: 1 });
          const done = new AbortController();
          const finished = Array.from({ length: 200 }, (_, i) =>
            executor.schedule(markRan, { args: [dir, `done${i}`, i], signal: done.signal }),
          );
          expect(getEventListeners(done.signal, 'abort')).toHaveLength(1);
          expect(await Promise.all(finished)).toHaveLength(200);
          // Every call is over: nothing listens to the signal any more.
          expect(getEventListeners(done.signal, 'abort')).toHaveLength(0);

          const ahead = executor.submit(slowCall, job('ahead', 20_000)); // until released
          await until(() => mark('ahead', 'started') !== undefined, 'the call ahead started');
          const stop = new AbortController();
          const stopped = Array.from({ length: 200 }, (_, i) =>
            executor.schedule(markRan, { args: [dir, `stopped${i}`, i], signal: stop.signal }),
          );
          stop.abort(new Error('not wanted any more'));
          expect(stopped.every((future) => future.cancelled())).toBe(true);
          expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
          release();
          expect(await ahead).toBe('ahead');
          await executor.submit(workerId); // everything queued before it has run or been dropped
          expect(mark('stopped0', 'started')).toBeUndefined();
          expect(mark('stopped199', 'started')).toBeUndefined();
          await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
        } finally {
          process.off('warning', onWarning);
        }
        expect(warnings).toEqual([]);
      });

      test('Future.cancel() never ends a running call', async () => {
        const executor = make({ maxWorkers: 2 });
        // Both would stop at once if cancel() aborted their signal; they run until released.
        const limited = executor.schedule(slowCall, {
          args: [job('limited', 20_000, true, 'limited done')],
          timeout: 20_000,
        });
        const plain = executor.submit(slowCall, job('plain', 20_000, true, 'plain done'));
        await until(
          () => mark('limited', 'started') !== undefined && mark('plain', 'started') !== undefined,
          'both calls started',
        );
        for (const future of [limited, plain]) {
          expect(future.cancel()).toBe(false);
          expect(future.running()).toBe(true);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect([limited.done(), plain.done()]).toEqual([false, false]);
        release();
        expect(await limited).toBe('limited done');
        expect(await plain).toBe('plain done');
        expect(mark('limited', 'aborted')).toBeUndefined();
        expect(mark('plain', 'aborted')).toBeUndefined();
      });
    });

    describe('endGraceMs and ended workers', () => {
      test('endGraceMs: Infinity never ends the worker: the future fails at once, the call runs on, and what it returns is ignored', async () => {
        const executor = make({ maxWorkers: 1, endGraceMs: Infinity });
        // The call ignores its signal and runs until the test releases it: the timeout passes while
        // it runs however late the test sees the TimeoutError, and what it returns comes after.
        const future = executor.schedule(slowCall, {
          args: [job('long', 20_000, false, 'late')],
          timeout: 200,
        });
        const error = await errorOf(future);
        expect(error).toBeInstanceOf(TimeoutError);
        expect(mark('long', 'finished')).toBeUndefined();

        if (endsWorkers) {
          // The next call waits for the one worker, which is never ended. The pause gives a wrong
          // end the time to show (Infinity taken for the default 1000 ms, or passed to setTimeout,
          // which runs it after 1 ms); the test passes however long it lasts. Released, the call
          // runs to its end there, and the next call runs on the same worker.
          const pending = executor.submit(workerId);
          await new Promise((resolve) => setTimeout(resolve, 1200));
          expect(mark('long', 'finished')).toBeUndefined();
          release();
          const next = await pending;
          expect(String(next)).toBe(mark('long', 'started'));
          expect(mark('long', 'finished')).toBe('finished');
          expect(ids(executor)).toEqual([next]);
        } else {
          // Its slot was freed at once: the next call runs while the abandoned one still runs on.
          await executor.submit(workerId);
          expect(mark('long', 'finished')).toBeUndefined();
          release();
          await until(() => mark('long', 'finished') !== undefined, 'the abandoned call finished');
        }
        expect(await future.exception()).toBe(error);
      });

      test('ending one call loses no other call and runs none twice', async () => {
        const executor = make({ maxWorkers: 2, endGraceMs: 100 });
        const file = join(dir, 'items');
        const before = Array.from({ length: 20 }, (_, i) => executor.submit(appendItem, file, i));
        const limited = executor.schedule(slowCall, { args: [job('deaf', 10_000)], timeout: 200 });
        const after = Array.from({ length: 20 }, (_, i) =>
          executor.submit(appendItem, file, 20 + i),
        );
        const all = Array.from({ length: 40 }, (_, i) => i);

        expect(await Promise.all([...before, ...after])).toEqual(all);
        expect(await errorOf(limited)).toBeInstanceOf(TimeoutError);
        expect(await executor.submit(appendItem, file, 40)).toBe(40);
        const lines = readFileSync(file, 'utf8').trim().split('\n').map(Number);
        expect(lines.sort((a, b) => a - b)).toEqual([...all, 40]);
      });

      testIfWorkers(
        'a worker that exits by itself while its call is being ended breaks nothing',
        async () => {
          const executor = make({ maxWorkers: 1, endGraceMs: 10_000 });
          const first = await executor.submit(workerId);
          const future = executor.schedule(exitOnAbort, { args: [dir, 'exits'], timeout: 200 });
          const error = await errorOf(future);
          expect(error).toBeInstanceOf(TimeoutError);

          const next = await executor.submit(workerId);
          expect(next).not.toBe(first);
          expect(await executor.submit(workerId)).toBe(next);
          expect(await future.exception()).toBe(error);
        },
      );

      testIfSignals(
        'a child deaf to SIGTERM gets SIGKILL after a second endGraceMs; it counts against maxWorkers until it is gone, and the pool is not broken',
        async () => {
          const executor = make({ maxWorkers: 1, endGraceMs: 200 });
          const future = executor.schedule(spinDeafToSigterm, {
            args: [dir, 'deaf'],
            timeout: 200,
          });
          const next = executor.submit(workerId); // waits for the child's place
          expect(await errorOf(future)).toBeInstanceOf(TimeoutError);

          const deafPid = Number(mark('deaf', 'started'));
          const nextPid = await next;
          expect(nextPid).not.toBe(deafPid);
          expect(isAlive(deafPid)).toBe(false);
          expect(ids(executor)).toEqual([nextPid]);
        },
      );
    });

    describe('map() with callTimeout and signal', () => {
      test('callTimeout: the fast items are yielded, the slow one throws TimeoutError, and the calls after it are cancelled', async () => {
        const executor = make({ maxWorkers: 1, endGraceMs: 100 });
        // The first call loads concurrent-futures into the fresh worker: not what callTimeout is for.
        await executor.submit(slowCall, job('warm-up', 1));
        const jobs = [1, 1, 10_000, 1, 1, 1].map((ms, i) => job(`m${i}`, ms));
        const results = executor.map(slowCall, jobs, { callTimeout: 1000 });

        expect(await results.next()).toEqual({ done: false, value: 'm0' });
        expect(await results.next()).toEqual({ done: false, value: 'm1' });
        const error = await errorOf(results.next());
        expect(error).toBeInstanceOf(TimeoutError);
        expect((error as Error).message).toContain('"slowCall"');
        expect((error as Error).message).toContain('1000 ms');
        expect(await results.next()).toEqual({ done: true, value: undefined });

        await executor.submit(workerId); // everything queued before it has run or been dropped
        // An executor that abandons the call frees its slot as the call fails, so the call right
        // after it may start before the map sees the failure; none after that can.
        const neverStarted = endsWorkers ? [3, 4, 5] : [4, 5];
        for (const i of neverStarted) expect(mark(`m${i}`, 'started')).toBeUndefined();
      });

      test('callTimeout with chunks: a chunk that times out fails as a whole', async () => {
        const executor = make({ maxWorkers: 1, endGraceMs: 100 });
        // The first call loads concurrent-futures into the fresh worker: not what callTimeout is for.
        await executor.submit(slowCall, job('warm-up', 1));
        const jobs = [1, 1, 1, 1, 10_000, 1, 1, 1, 1].map((ms, i) => job(`c${i}`, ms));
        const results = executor.map(slowCall, jobs, { chunksize: 3, callTimeout: 1000 });

        const values: unknown[] = [];
        const error = await errorOf(
          (async () => {
            for await (const value of results) values.push(value);
          })(),
        );
        expect(error).toBeInstanceOf(TimeoutError);
        // With chunks, c3 ran but its chunk failed as a whole; without, each item is a call.
        expect(values).toEqual(target.runsChunks ? ['c0', 'c1', 'c2'] : ['c0', 'c1', 'c2', 'c3']);
        expect(mark('c3', 'finished')).toBe('finished');

        await executor.submit(workerId);
        for (const i of [6, 7, 8]) expect(mark(`c${i}`, 'started')).toBeUndefined();
      });

      test('signal: ends the whole map; calls not started are cancelled, running ones are ended, the next step throws the reason', async () => {
        const executor = make({ maxWorkers: 2, endGraceMs: 100 });
        const controller = new AbortController();
        const jobs = [
          job('s0', 1),
          job('s1', 10_000),
          job('s2', 10_000),
          job('s3', 1),
          job('s4', 1),
        ];
        const results = executor.map(slowCall, jobs, { signal: controller.signal });

        expect(await results.next()).toEqual({ done: false, value: 's0' });
        await until(
          () => mark('s1', 'started') !== undefined && mark('s2', 'started') !== undefined,
          'two calls are running',
        );
        const running = [Number(mark('s1', 'started')), Number(mark('s2', 'started'))];
        const reason = new Error('map stopped');
        controller.abort(reason);
        // At once: the step throws without waiting for the running calls (deaf to their signals) to
        // end. It has settled before anything but promise reactions could run: no worker message,
        // no timer, so however slow the machine.
        let settled = false;
        const step = errorOf(results.next()).finally(() => (settled = true));
        await new Promise((resolve) => setImmediate(resolve));
        expect(settled).toBe(true);
        expect(await step).toBe(reason);
        expect(await results.next()).toEqual({ done: true, value: undefined });

        // The running calls were ended: their currentSignal() aborted with (a copy of) the reason.
        await until(
          () => mark('s1', 'aborted') !== undefined && mark('s2', 'aborted') !== undefined,
          "the running calls' signals aborted",
        );
        expect([mark('s1', 'aborted'), mark('s2', 'aborted')]).toEqual([
          'Error: map stopped',
          'Error: map stopped',
        ]);
        if (endsWorkers) {
          // They ignored it, so their workers were ended; the pool goes on with fresh ones.
          await until(
            () => running.every((id) => !ids(executor).includes(id)),
            'their workers are gone',
          );
        }
        await executor.submit(workerId);
        expect(mark('s3', 'started')).toBeUndefined();
        expect(mark('s4', 'started')).toBeUndefined();
      });

      test('a signal aborted before map(): map() submits nothing, and the first step throws the reason', async () => {
        const executor = make({ maxWorkers: 1 });
        const reason = new Error('too late');
        const results = executor.map(markRan, [dir, dir], ['a0', 'a1'], [0, 1], {
          signal: AbortSignal.abort(reason),
        });
        await new Promise((resolve) => setImmediate(resolve));
        expect(ids(executor)).toEqual([]); // not even a worker was started

        expect(await errorOf(results.next())).toBe(reason);
        expect(await results.next()).toEqual({ done: true, value: undefined });
        await executor.submit(workerId);
        expect(mark('a0', 'started')).toBeUndefined();
        expect(mark('a1', 'started')).toBeUndefined();
      });
    });

    describe('currentSignal()', () => {
      test('inside a call it returns an AbortSignal that follows every await', async () => {
        const executor = make({ maxWorkers: 1 });
        const expected = [true, true, true, false];
        expect(await executor.submit(signalAcrossAwaits)).toEqual(expected);
        expect(await executor.schedule(signalAcrossAwaits, { timeout: 10_000 })).toEqual(expected);
        expect(
          await executor.schedule(signalAcrossAwaits, { signal: new AbortController().signal }),
        ).toEqual(expected);
      });

      testIfSharesMemory(
        'two calls running at once each keep their own signal across awaits',
        async () => {
          const executor = make({ maxWorkers: 2 });
          const first = executor.submit(signalBeforeAndAfter, 60);
          const second = executor.schedule(signalBeforeAndAfter, { args: [30], timeout: 10_000 });
          const [[a1, a2], [b1, b2]] = await Promise.all([first, second]);
          expect(a1).toBeInstanceOf(AbortSignal);
          expect(b1).toBeInstanceOf(AbortSignal);
          expect(a2).toBe(a1);
          expect(b2).toBe(b1);
          expect(b1).not.toBe(a1);
        },
      );

      test('outside a call it throws an Error saying so: in an initializer and in done callbacks', async () => {
        const key = uniqueKey('initializer');
        const executor = make({
          maxWorkers: 1,
          initializer: probeSignalInInitializer,
          initargs: [key],
        });
        expect(await executor.submit(readGlobal, key)).toMatch(/^Error: .*outside a running call/);

        const thrown: unknown[] = [];
        const probe = (): void => {
          try {
            currentSignal();
            thrown.push('no error');
          } catch (error) {
            thrown.push(error);
          }
        };
        const succeeded = executor.schedule(readGlobal, { args: [key], timeout: 10_000 });
        succeeded.addDoneCallback(probe);
        const timedOut: Future<unknown> = executor.schedule(slowCall, {
          args: [job('cb', 10_000, true)],
          timeout: 100,
        });
        timedOut.addDoneCallback(probe);
        const plain = executor.submit(readGlobal, key);
        plain.addDoneCallback(probe);
        await Promise.allSettled([succeeded, timedOut, plain]);
        plain.addDoneCallback(probe); // already done: runs at once

        expect(thrown).toHaveLength(4);
        for (const error of thrown) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).toMatch(/outside a running call/);
        }
      });
    });

    describe('bad options', () => {
      test('schedule(): timeout negative or NaN is a RangeError, not a number a TypeError; signal and args are checked', () => {
        const executor = make({ maxWorkers: 1 });
        const fn = (x: number): number => x;
        expect(() => executor.schedule(fn, { args: [1], timeout: -1 })).toThrow(RangeError);
        expect(() => executor.schedule(fn, { args: [1], timeout: NaN })).toThrow(/`timeout`.*NaN/);
        expect(() => executor.schedule(fn, { args: [1], timeout: NaN })).toThrow(RangeError);
        expect(() =>
          executor.schedule(fn, { args: [1], timeout: '100' as unknown as number }),
        ).toThrow(TypeError);
        expect(() =>
          executor.schedule(fn, { args: [1], timeout: '100' as unknown as number }),
        ).toThrow(/`timeout`.*"100"/);
        expect(() => executor.schedule(fn, { args: [1], signal: {} as AbortSignal })).toThrow(
          TypeError,
        );
        expect(() => executor.schedule(fn, { args: [1], signal: {} as AbortSignal })).toThrow(
          /`signal`/,
        );
        expect(() => executor.schedule(fn, { args: 1 as unknown as [number] })).toThrow(TypeError);
        expect(() => executor.schedule(fn, { args: 1 as unknown as [number] })).toThrow(/`args`/);
      });

      test("schedule(): submit()'s own errors come first", async () => {
        const executor = make({ maxWorkers: 1 });
        expect(() => executor.schedule(42 as unknown as () => void, { timeout: -1 })).toThrow(
          TypeError,
        );
        await executor.shutdown();
        expect(() => executor.schedule(() => 1, { timeout: -1 })).toThrow(/shut ?down/i);
      });

      test('map(): callTimeout negative or NaN is a RangeError, not a number a TypeError; signal must be an AbortSignal', () => {
        const executor = make({ maxWorkers: 1 });
        const fn = (x: number): number => x;
        expect(() => executor.map(fn, [1], { callTimeout: -5 })).toThrow(RangeError);
        expect(() => executor.map(fn, [1], { callTimeout: NaN })).toThrow(/`callTimeout`/);
        expect(() => executor.map(fn, [1], { callTimeout: '5' as unknown as number })).toThrow(
          TypeError,
        );
        expect(() => executor.map(fn, [1], { callTimeout: '5' as unknown as number })).toThrow(
          /`callTimeout`/,
        );
        expect(() => executor.map(fn, [1], { signal: 'stop' as unknown as AbortSignal })).toThrow(
          TypeError,
        );
        expect(() => executor.map(fn, [1], { signal: 'stop' as unknown as AbortSignal })).toThrow(
          /`signal`/,
        );
      });

      test('endGraceMs negative or NaN is a RangeError, not a number a TypeError', () => {
        expect(() => target.create({ endGraceMs: -1 })).toThrow(RangeError);
        expect(() => target.create({ endGraceMs: NaN })).toThrow(/`endGraceMs`/);
        expect(() => target.create({ endGraceMs: NaN })).toThrow(RangeError);
        expect(() => target.create({ endGraceMs: '1000' as unknown as number })).toThrow(TypeError);
        expect(() => target.create({ endGraceMs: '1000' as unknown as number })).toThrow(
          /`endGraceMs`/,
        );
      });

      test('null means the option is not given', async () => {
        const executor = make({ maxWorkers: 1, endGraceMs: null });
        const add = (a: number, b: number): number => a + b;
        expect(await executor.schedule(add, { args: [2, 3], timeout: null, signal: null })).toBe(5);
        expect(await executor.schedule(() => 'no args', { args: null })).toBe('no args');
        expect(await executor.schedule(() => 'no options', null as unknown as undefined)).toBe(
          'no options',
        );
        const values: number[] = [];
        for await (const value of executor.map(add, [1, 2], [10, 20], {
          callTimeout: null,
          signal: null,
        })) {
          values.push(value);
        }
        expect(values).toEqual([11, 22]);
      });
    });
  });
}
