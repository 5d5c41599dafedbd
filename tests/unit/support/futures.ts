// Ready-made futures in every state, built through the same transitions an executor makes.

import { Future } from '../../../src/index.js';

export function pending<T = unknown>(): Future<T> {
  return new Future<T>();
}

export function running<T = unknown>(): Future<T> {
  const future = new Future<T>();
  future.setRunningOrNotifyCancel();
  return future;
}

export function cancelled<T = unknown>(): Future<T> {
  const future = new Future<T>();
  future.cancel();
  return future;
}

export function cancelledAndNotified<T = unknown>(): Future<T> {
  const future = cancelled<T>();
  future.setRunningOrNotifyCancel();
  return future;
}

export function finished<T>(value: T): Future<T> {
  const future = running<T>();
  future.setResult(value);
  return future;
}

export function failed<T = unknown>(error: unknown): Future<T> {
  const future = running<T>();
  future.setException(error);
  return future;
}

/** One future in each state, labelled, for tests that go through all of them. */
export function everyState(): Array<[string, Future<number>]> {
  return [
    ['PENDING', pending<number>()],
    ['RUNNING', running<number>()],
    ['CANCELLED', cancelled<number>()],
    ['CANCELLED_AND_NOTIFIED', cancelledAndNotified<number>()],
    ['FINISHED (result)', finished(1)],
    ['FINISHED (error)', failed<number>(new Error('boom'))],
  ];
}
