// The timers and the clock this package schedules its own work by, taken from node:timers and
// node:perf_hooks rather than from the globals. A test that installs fake timers
// (jest.useFakeTimers(), @sinonjs/fake-timers) replaces the globals: queueMicrotask, setTimeout,
// setImmediate, performance, Date. Every call of every executor then waited for a clock that the
// test never advanced, and the test hung. Importing these by name shadows the globals in a module.
//
// Only the executors' own machinery uses these (dispatch, a call's deadline, a worker's grace and
// idle timers). The timeouts a caller waits with (wait(), asCompleted(), result(timeout), map's
// timeout) keep the global timers: a test with a fake clock drives them by advancing it.

export {
  clearImmediate,
  clearInterval,
  clearTimeout,
  setImmediate,
  setInterval,
  setTimeout,
} from 'node:timers';
export { performance } from 'node:perf_hooks';

const settled = Promise.resolve();
const promiseThen = Promise.prototype.then;

/** As the global queueMicrotask(), through a promise's reaction: fake timers do not reach it. */
export function queueMicrotask(callback: () => void): void {
  Reflect.apply(promiseThen, settled, [callback]);
}
