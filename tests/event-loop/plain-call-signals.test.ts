// currentSignal() in plain calls (no timeout, no signal) on the EventLoopExecutor: each call has a
// signal of its own, once any call has asked for one. Before, every plain call got one signal
// shared by the whole process, so a listener each call added to it stayed there for ever, with
// whatever it held: 1,000 calls left 1,000 listeners (and a MaxListenersExceededWarning) and kept
// their closures alive. Now only the calls already running at the first ask share it.

import { EventLoopExecutor, currentSignal } from 'concurrent-futures';

test('plain calls get a signal each, kept through their awaits', async () => {
  const executor = new EventLoopExecutor({ maxWorkers: 4 });
  const call = async (): Promise<AbortSignal> => {
    const signal = currentSignal();
    signal.addEventListener('abort', () => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(currentSignal()).toBe(signal); // the same signal through the call's awaits
    return signal;
  };
  const signals = await Promise.all(Array.from({ length: 30 }, () => executor.submit(call)));
  // The 4 calls that started before the first ask may share one; every later call has its own.
  expect(new Set(signals).size).toBeGreaterThanOrEqual(27);
  expect(new Set(signals.slice(4)).size).toBe(26);
  for (const signal of signals) expect(signal.aborted).toBe(false);
  await executor.shutdown();
});

test('a later batch of plain calls still gets a signal each', async () => {
  const executor = new EventLoopExecutor({ maxWorkers: 2 });
  const first = await executor.submit(() => currentSignal());
  const second = await executor.submit(() => currentSignal());
  expect(second).not.toBe(first);
  await executor.shutdown();
});
