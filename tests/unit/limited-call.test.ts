// src/limits/: one LimitedCall per limited call, over a recording adapter (no executor): how it
// ends a call not started and a running one, its deadline counted from its start (and again if
// the call had not started when it passed), and what it leaves behind once its future ends.

import { getEventListeners } from 'node:events';
import { CancelledError, TimeoutError } from '../../src/errors.js';
import { Future } from '../../src/future.js';
import { Limiter, type LimitAdapter } from '../../src/limits/limited-call.js';

interface Record {
  name: string;
  started: boolean;
}

function recordingLimiter(): { limiter: Limiter<Record>; stopped: Array<[Record, unknown]> } {
  const stopped: Array<[Record, unknown]> = [];
  const adapter: LimitAdapter<Record> = {
    nameOf: (record) => `"${record.name}"`,
    hasStarted: (record) => record.started,
    stopRunning: (record, reason) => void stopped.push([record, reason]),
  };
  return { limiter: new Limiter(adapter), stopped };
}

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

test('ending a call not started cancels it, and its executor is not asked to stop anything', () => {
  const { limiter, stopped } = recordingLimiter();
  const future = new Future();
  const limited = limiter.limit(
    future,
    { timeout: 1000, signal: undefined },
    {
      name: 'f',
      started: false,
    },
  );
  limited.end(new Error('stop'));
  expect(future.cancelled()).toBe(true);
  expect(stopped).toEqual([]);
});

test('ending a running call asks its executor to stop it first (its counts), then fails its future with the reason', async () => {
  const { limiter, stopped } = recordingLimiter();
  const future = new Future();
  const record = { name: 'f', started: true };
  const limited = limiter.limit(future, { timeout: undefined, signal: undefined }, record);
  future.setRunningOrNotifyCancel();
  const reason = new Error('stop');
  let doneWhenStopped: boolean | undefined;
  const stop = limiter.adapter.stopRunning;
  limiter.adapter.stopRunning = (r, why) => {
    doneWhenStopped = future.done();
    stop(r, why);
  };
  limited.end(reason);
  expect(doneWhenStopped).toBe(false);
  expect(await future.exception()).toBe(reason);
  expect(stopped).toEqual([[record, reason]]);
  limited.end(new Error('again')); // done: nothing more
  expect(stopped).toHaveLength(1);
});

test('a signal that aborts ends the call; an aborted one ends it at once', async () => {
  const { limiter } = recordingLimiter();
  const controller = new AbortController();
  const waiting = new Future();
  limiter.limit(
    waiting,
    { timeout: undefined, signal: controller.signal },
    {
      name: 'f',
      started: false,
    },
  );
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
  controller.abort(new Error('aborted'));
  expect(waiting.cancelled()).toBe(true);
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);

  const late = new Future();
  limiter.limit(
    late,
    { timeout: undefined, signal: controller.signal },
    {
      name: 'f',
      started: false,
    },
  );
  expect(late.cancelled()).toBe(true);
  await expect(late.result()).rejects.toBeInstanceOf(CancelledError);
});

test('a future that ends leaves the signal watch: 1,000 calls on one signal leave no listener', () => {
  const { limiter } = recordingLimiter();
  const controller = new AbortController();
  const futures = Array.from({ length: 1000 }, () => new Future<number>());
  for (const future of futures)
    limiter.limit(
      future,
      { timeout: undefined, signal: controller.signal },
      {
        name: 'f',
        started: true,
      },
    );
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
  futures.forEach((future, i) => {
    future.setRunningOrNotifyCancel();
    future.setResult(i);
  });
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  controller.abort(); // nothing left to end
  expect(futures.every((future) => future.cancelled() === false)).toBe(true);
});

test('its deadline counts from its start, and fails the running call with a TimeoutError that names it', async () => {
  const { limiter, stopped } = recordingLimiter();
  const future = new Future();
  const record = { name: 'slowCall', started: true };
  const limited = limiter.limit(future, { timeout: 30, signal: undefined }, record);
  future.setRunningOrNotifyCancel();
  limited.started();
  const error = await future.exception(10_000);
  expect(error).toBeInstanceOf(TimeoutError);
  expect((error as Error).message).toBe('"slowCall" ran past its timeout of 30 ms and was ended.');
  expect(stopped).toEqual([[record, error]]);
});

test('a deadline that passes before the call has started counts again from then (a thread not yet claiming it)', async () => {
  const { limiter } = recordingLimiter();
  const future = new Future();
  const record = { name: 'f', started: false };
  const limited = limiter.limit(future, { timeout: 20, signal: undefined }, record);
  limited.started(); // armed at sending, as a pool does
  await new Promise((resolve) => setTimeout(resolve, 60));
  expect(future.done()).toBe(false); // not cancelled, not failed: its time had not begun
  record.started = true;
  future.setRunningOrNotifyCancel();
  const error = await future.exception(10_000);
  expect(error).toBeInstanceOf(TimeoutError);
});

test('many limited calls started share one timer, and a call that settles leaves it', async () => {
  const { limiter } = recordingLimiter();
  // The test before leaves its limiter's timer armed and ref'd until the loop turns (Deadlines
  // unrefs an idle timer from a setImmediate): let it turn, so that only this limiter's counts.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  const before = activeTimeouts();
  const futures = Array.from({ length: 500 }, () => new Future<number>());
  for (const future of futures) {
    const limited = limiter.limit(
      future,
      { timeout: 60_000, signal: undefined },
      {
        name: 'f',
        started: true,
      },
    );
    future.setRunningOrNotifyCancel();
    limited.started();
  }
  expect(activeTimeouts() - before).toBe(1);
  futures.forEach((future, i) => future.setResult(i));
  // Once the loop turns with nothing running, the timer no longer keeps the process alive. Turns
  // are counted, not time: a loaded machine (CI) once needed more than the two it takes here.
  for (let turn = 0; turn < 100 && activeTimeouts() - before !== 0; turn++)
    await new Promise((resolve) => setImmediate(resolve));
  expect(activeTimeouts() - before).toBe(0);
});

test('a call taken back unstarted keeps no deadline: its time begins when it starts again', async () => {
  const { limiter } = recordingLimiter();
  const future = new Future();
  const record = { name: 'f', started: true };
  const limited = limiter.limit(future, { timeout: 20, signal: undefined }, record);
  limited.started(); // armed when it was sent
  limited.unstarted(); // taken back before its worker claimed it
  await new Promise((resolve) => setTimeout(resolve, 60));
  expect(future.done()).toBe(false);
  future.setRunningOrNotifyCancel();
  limited.started(); // started elsewhere: counts from now
  expect(await future.exception(10_000)).toBeInstanceOf(TimeoutError);
});

describe('Deadlines, fired late', () => {
  test('calls of several timeouts found due at once end in the order of their deadlines', async () => {
    // They ended FIFO by FIFO, in the order the timeouts were first used: a busy loop that made
    // the timer late ended a 50 ms call before a 20 ms one.
    const { Deadlines } = await import('../../src/limits/deadlines.js');
    const ended: string[] = [];
    const deadlines = new Deadlines<string>((item) => ended.push(item));
    deadlines.add('50 ms', 50);
    deadlines.add('20 ms', 20);
    deadlines.add('another 50 ms', 50);
    const until = performance.now() + 80;
    while (performance.now() < until); // every deadline passes before the timer can fire
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ended).toEqual(['20 ms', '50 ms', 'another 50 ms']);
  });
});
