// currentSignal() at top level, where no executor is involved at all: it throws an Error that says
// it was called outside a running call. (Inside calls, in initializers and in done callbacks: see
// scenarios.ts, for every executor.)

import { currentSignal } from 'concurrent-futures';

test('currentSignal() at top level throws an Error saying it is outside a running call', () => {
  expect(() => currentSignal()).toThrow(Error);
  expect(() => currentSignal()).toThrow(/outside a running call/);
});

test('currentSignal() in a timer or a promise callback of the test itself throws as well', async () => {
  const fromTimer = await new Promise<unknown>((resolve) =>
    setTimeout(() => {
      try {
        resolve(currentSignal());
      } catch (error) {
        resolve(error);
      }
    }, 1),
  );
  expect((fromTimer as Error).message).toMatch(/outside a running call/);
  await expect(Promise.resolve().then(() => currentSignal())).rejects.toThrow(
    /outside a running call/,
  );
});
