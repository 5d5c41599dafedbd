// The QueueExecutor section's task functions (issue 19): the worker hosts allow this module
// (`--allow benchmarks/workers/queue-tasks.mjs`) and the producer submits fromModule() references
// to it. inc and isPrime are the same functions every pool runs (tasks.cjs).

import { setTimeout } from 'node:timers';
import tasks from './tasks.cjs';

export const inc = tasks.inc;
export const isPrime = tasks.isPrime;

/** A call bound by waiting, not by a core: what scales with hosts however many cores there are. */
export function sleepFor(ms) {
  return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
}
