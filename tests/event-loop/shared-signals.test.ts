// One 'abort' listener per signal however many calls share it (src/limits/signal-watch.ts): re-entrant
// aborts, a signal shared by two executors, and signals let go once their calls are over.

import { getEventListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  currentSignal,
  EventLoopExecutor,
  ThreadPoolExecutor,
  type Future,
} from 'concurrent-futures';
import { deferred, settle } from './support.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function collectWarnings(): { warnings: string[]; stop: () => void } {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.name);
  process.on('warning', onWarning);
  return { warnings, stop: () => process.off('warning', onWarning) };
}

describe('calls sharing one AbortSignal', () => {
  test('event loop: done callbacks scheduling with the same signal during abort', async () => {
    const w = collectWarnings();
    const executor = new EventLoopExecutor({ maxWorkers: 1 });
    const gate = deferred();
    const ahead = executor.submit(() => gate.promise);
    await settle();
    const ctrl = new AbortController();
    const later: Future<unknown>[] = [];
    const first = Array.from({ length: 30 }, (_, i) => {
      const f = executor.schedule((x: number) => x, { args: [i], signal: ctrl.signal });
      f.addDoneCallback(() => {
        later.push(executor.schedule((x: number) => x, { args: [i], signal: ctrl.signal }));
      });
      return f;
    });
    ctrl.abort(new Error('stop'));
    expect(first.every((f) => f.cancelled())).toBe(true);
    expect(later).toHaveLength(30);
    expect(later.every((f) => f.cancelled())).toBe(true);
    expect(getEventListeners(ctrl.signal, 'abort')).toHaveLength(0);
    gate.resolve();
    await ahead;
    await executor.shutdown();
    await settle();
    w.stop();
    expect(w.warnings).toEqual([]);
  });

  test('event loop: a dependent AbortSignal.any made before, scheduled from a done callback during the abort', async () => {
    const executor = new EventLoopExecutor({ maxWorkers: 1 });
    const gate = deferred();
    const ahead = executor.submit(() => gate.promise);
    await settle();
    const ctrl = new AbortController();
    const child = AbortSignal.any([ctrl.signal]);
    let late: Future<unknown> | undefined;
    const f = executor.schedule(() => 1, { signal: ctrl.signal });
    f.addDoneCallback(() => {
      late = executor.schedule(() => 2, { signal: child });
    });
    ctrl.abort();
    expect(f.cancelled()).toBe(true);
    expect(late!.cancelled()).toBe(true); // child aborted right after the parent's dispatch
    expect(getEventListeners(child, 'abort')).toHaveLength(0);
    gate.resolve();
    await ahead;
    await executor.shutdown();
  });

  test('two executors sharing one signal: one listener each, one abort ends both, none left', async () => {
    const a = new EventLoopExecutor({ maxWorkers: 1 });
    const b = new EventLoopExecutor({ maxWorkers: 1 });
    const ctrl = new AbortController();
    const running = [a, b].map((e) =>
      e.schedule(() => new Promise(() => undefined), { signal: ctrl.signal }),
    );
    const queued = [a, b].flatMap((e) =>
      Array.from({ length: 20 }, () => e.schedule(() => 1, { signal: ctrl.signal })),
    );
    await settle();
    expect(running.every((f) => f.running())).toBe(true);
    expect(getEventListeners(ctrl.signal, 'abort')).toHaveLength(2);
    const reason = new Error('r');
    ctrl.abort(reason);
    expect(queued.every((f) => f.cancelled())).toBe(true);
    for (const f of running) expect(await f.exception()).toBe(reason);
    expect(getEventListeners(ctrl.signal, 'abort')).toHaveLength(0);
    await a.shutdown();
    await b.shutdown();
  });

  test('user-cancelled queued call, then abort, then later calls with a new signal', async () => {
    const executor = new EventLoopExecutor({ maxWorkers: 1 });
    const gate = deferred();
    const ahead = executor.submit(() => gate.promise);
    await settle();
    const ctrl = new AbortController();
    const fs = Array.from({ length: 5 }, () => executor.schedule(() => 1, { signal: ctrl.signal }));
    fs[2]!.cancel();
    ctrl.abort();
    expect(fs.every((f) => f.cancelled())).toBe(true);
    gate.resolve();
    await ahead;
    await settle();
    const ctrl2 = new AbortController();
    expect(await executor.schedule(() => 7, { signal: ctrl2.signal })).toBe(7);
    expect(getEventListeners(ctrl2.signal, 'abort')).toHaveLength(0);
    await executor.shutdown();
  });

  test("a running call's currentSignal() as the children's signal: nested dispatch ends them", async () => {
    const executor = new EventLoopExecutor({ maxWorkers: 4 });
    const ctrl = new AbortController();
    let children: Future<unknown>[] = [];
    const parent = executor.schedule(
      () => {
        const s = currentSignal();
        children = Array.from({ length: 3 }, () =>
          executor.schedule(() => new Promise(() => undefined), { signal: s }),
        );
        return new Promise(() => undefined);
      },
      { signal: ctrl.signal },
    );
    await settle();
    await settle();
    const reason = new Error('p');
    ctrl.abort(reason);
    expect(await parent.exception()).toBe(reason);
    for (const c of children) expect(c.done()).toBe(true);
    await executor.shutdown();
  });

  test('AbortSignal.timeout shared by queued calls', async () => {
    const executor = new EventLoopExecutor({ maxWorkers: 1 });
    const gate = deferred();
    const ahead = executor.submit(() => gate.promise);
    const signal = AbortSignal.timeout(50);
    const fs = Array.from({ length: 20 }, () => executor.schedule(() => 1, { signal }));
    await new Promise((r) => setTimeout(r, 150));
    expect(fs.every((f) => f.cancelled())).toBe(true);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    gate.resolve();
    await ahead;
    await executor.shutdown();
  });

  test('a never-aborted signal is not kept alive once its calls are over', async () => {
    const executor = new EventLoopExecutor({ maxWorkers: 2 });
    const refs: WeakRef<AbortSignal>[] = [];
    async function one(): Promise<void> {
      const ctrl = new AbortController();
      refs.push(new WeakRef(ctrl.signal));
      await executor.schedule(() => new Promise((r) => setTimeout(r, 1)), { signal: ctrl.signal });
    }
    async function cancelledOne(): Promise<void> {
      const gate = deferred();
      const ahead = executor.submit(() => gate.promise);
      const ahead2 = executor.submit(() => gate.promise);
      const ctrl = new AbortController();
      refs.push(new WeakRef(ctrl.signal));
      executor.schedule(() => 1, { signal: ctrl.signal }).cancel();
      gate.resolve();
      await ahead;
      await ahead2;
    }
    for (let i = 0; i < 50; i++) await one();
    await cancelledOne();
    await executor.submit(() => 0); // the cancelled call has been dequeued
    await settle();
    await new Promise((r) => setTimeout(r, 50));
    gc();
    await new Promise((r) => setTimeout(r, 0));
    gc();
    const alive = refs.map((r, i) => (r.deref() !== undefined ? i : -1)).filter((i) => i >= 0);
    expect(alive).toEqual([]);
    await executor.shutdown();
  });

  test('thread pool: done callbacks scheduling with the same signal during abort; shared with an event loop', async () => {
    const w = collectWarnings();
    const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const loop = new EventLoopExecutor({ maxWorkers: 1 });
    try {
      const ctrl = new AbortController();
      const later: Future<unknown>[] = [];
      const first = Array.from({ length: 30 }, (_, i) => {
        const f = pool.schedule((x: number) => x, { args: [i], signal: ctrl.signal });
        f.addDoneCallback(() => {
          later.push(pool.schedule((x: number) => x, { args: [i], signal: ctrl.signal }));
        });
        return f;
      });
      const onLoop = Array.from({ length: 30 }, () =>
        loop.schedule(() => 1, { signal: ctrl.signal }),
      );
      expect(getEventListeners(ctrl.signal, 'abort')).toHaveLength(2);
      ctrl.abort();
      expect(first.every((f) => f.cancelled())).toBe(true);
      expect(later.every((f) => f.cancelled())).toBe(true);
      expect(onLoop.every((f) => f.cancelled())).toBe(true);
      expect(getEventListeners(ctrl.signal, 'abort')).toHaveLength(0);

      // A running pool call ended by a shared signal; its pool frees, next call runs. The call
      // ignores its signal and holds the one worker until the test opens its gate (gate[0] = 1;
      // bounded, so nothing hangs): the queued call cannot start however slow the test is.
      const ctrl2 = new AbortController();
      const gate = new Int32Array(new SharedArrayBuffer(4));
      const running = pool.schedule(
        async (shared: SharedArrayBuffer) => {
          const cells = new Int32Array(shared);
          for (const until = Date.now() + 10_000; Atomics.load(cells, 0) === 0;) {
            if (Date.now() > until) throw new Error('the gate was never opened');
            await new Promise((r) => setTimeout(r, 5));
          }
        },
        { args: [gate.buffer], signal: ctrl2.signal },
      );
      const queued = pool.schedule(() => 3, { signal: ctrl2.signal });
      try {
        for (const until = Date.now() + 20_000; !running.running() && !running.done();) {
          if (Date.now() > until) throw new Error('the gated call never started');
          await new Promise((r) => setTimeout(r, 5));
        }
        expect(running.running()).toBe(true);
        ctrl2.abort(new Error('x'));
        expect(queued.cancelled()).toBe(true);
        expect((await running.exception()) as Error).toHaveProperty('message', 'x');
        expect(getEventListeners(ctrl2.signal, 'abort')).toHaveLength(0);
      } finally {
        Atomics.store(gate, 0, 1);
      }
      expect(await pool.submit(() => 5)).toBe(5);
    } finally {
      await pool.shutdown();
      await loop.shutdown();
      await settle();
      w.stop();
    }
    expect(w.warnings).toEqual([]);
  });
});

describe('map() with a long-lived signal', () => {
  test('a map never iterated lets go of the signal once its calls are over; a later abort is still thrown', async () => {
    // Such a map once stayed listening, with every result it held, until the signal aborted:
    // an application signal given to many maps gathered them all.
    const executor = new EventLoopExecutor({ maxWorkers: 2 });
    const app = new AbortController();
    try {
      const maps = Array.from({ length: 20 }, () =>
        executor.map(async (x: number) => x * 2, [1, 2, 3], { signal: app.signal }),
      );
      expect(getEventListeners(app.signal, 'abort').length).toBeGreaterThan(0);
      await executor.onIdle();
      await settle();
      expect(getEventListeners(app.signal, 'abort')).toHaveLength(0);
      expect(await maps[0]!.next()).toEqual({ done: false, value: 2 });
      app.abort(new Error('app closing'));
      await expect(maps[0]!.next()).rejects.toThrow('app closing');
      await expect(maps[1]!.next()).rejects.toThrow('app closing');
    } finally {
      await executor.shutdown();
    }
  });

  test('a map whose calls still run keeps listening: an abort ends them', async () => {
    const executor = new EventLoopExecutor({ maxWorkers: 1 });
    const app = new AbortController();
    try {
      const run = executor.map(
        // Runs until ended: no timer left behind to keep jest waiting.
        (_item: number) =>
          new Promise((resolve) => currentSignal().addEventListener('abort', resolve)),
        [1, 2],
        { signal: app.signal },
      );
      await settle();
      expect(getEventListeners(app.signal, 'abort').length).toBeGreaterThan(0);
      app.abort(new Error('stop'));
      await expect(run.next()).rejects.toThrow('stop');
      expect(executor.stats().calls.running).toBe(0);
    } finally {
      await executor.shutdown();
    }
  });
});
