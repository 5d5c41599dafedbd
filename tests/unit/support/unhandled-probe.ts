// Run in a child process by future.test.ts (Jest intercepts unhandled rejections itself): reports,
// as one JSON line, the unhandled rejections a real `process.on('unhandledRejection')` listener
// saw: first for a plain rejected promise (so the test knows the listener works), then for failed
// and cancelled futures that nobody awaits.

import { Future } from '../../../src/index.js';

const seen: string[] = [];
process.on('unhandledRejection', (reason) => {
  seen.push(reason instanceof Error ? reason.message : String(reason));
});

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 10));
}

function running<T>(): Future<T> {
  const future = new Future<T>();
  future.setRunningOrNotifyCancel();
  return future;
}

// First a plain rejected promise nobody handles, so the test knows the listener works.
void Promise.reject(new Error('control'));
await settle();
const control = seen.splice(0);

new Future().setException(new Error('pending, then failed'));
running().setException(new Error('running, then failed'));
new Future().cancel();
// Asked with a timeout that passed, then failed.
const timedOut = running<number>();
await timedOut.result(0).catch(() => undefined);
timedOut.setException(new Error('after a timed-out wait'));
// Asked for exception() without a timeout, then failed.
const askedForException = running<number>();
const exception = askedForException.exception();
askedForException.setException(new Error('reported through exception()'));
await exception;
// A done callback, and then() with both handlers.
const withCallback = running<number>();
withCallback.addDoneCallback(() => undefined);
withCallback.then(
  () => undefined,
  () => undefined,
);
withCallback.setException(new Error('handled'));
await settle();
console.log(JSON.stringify({ control, futures: seen }));
