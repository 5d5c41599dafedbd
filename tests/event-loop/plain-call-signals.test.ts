// currentSignal() in plain calls (no timeout, no signal) on the EventLoopExecutor: without a limited
// call, no AsyncLocalStorage follows the calls (on Node 20 it would tax every promise of the
// process), so every plain call gets the one signal that never aborts. Each listener a call added
// to it stayed there for ever, with whatever it held: 1,000 calls left 1,000 listeners (and a
// MaxListenersExceededWarning) and kept their closures alive. That signal now keeps none.

import { getEventListeners } from 'node:events';
import { EventLoopExecutor, currentSignal } from 'concurrent-futures';

test('listeners plain calls add to their signal are not kept, and the signal stays the same within a call', async () => {
  const executor = new EventLoopExecutor({ maxWorkers: 4 });
  const call = async (): Promise<AbortSignal> => {
    const signal = currentSignal();
    signal.addEventListener('abort', () => undefined);
    signal.addEventListener('abort', () => undefined, { once: true });
    await new Promise((resolve) => setImmediate(resolve));
    expect(currentSignal()).toBe(signal); // the same signal through the call's awaits
    return signal;
  };
  const signals = await Promise.all(Array.from({ length: 50 }, () => executor.submit(call)));
  for (const signal of new Set(signals)) {
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal.aborted).toBe(false);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  }
  await executor.shutdown();
});

test('a limited call still gets a signal of its own that aborts, with its listeners', async () => {
  const executor = new EventLoopExecutor({ maxWorkers: 2 });
  const heard: unknown[] = [];
  const controller = new AbortController();
  const future = executor.schedule(
    () =>
      new Promise((resolve) => {
        const signal = currentSignal();
        signal.addEventListener('abort', () => {
          heard.push((signal.reason as Error).message);
          resolve('ended');
        });
      }),
    { signal: controller.signal },
  );
  await new Promise((resolve) => setImmediate(resolve));
  controller.abort(new Error('stop'));
  await expect(future).rejects.toThrow('stop');
  await new Promise((resolve) => setImmediate(resolve));
  expect(heard).toEqual(['stop']);
  await executor.shutdown();
});
