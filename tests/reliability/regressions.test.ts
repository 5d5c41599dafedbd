// Schedules that the property test (settle-once.test.ts) once failed on, shrunk by fast-check,
// replayed as they were found (each names what it pinned down), and one written by hand that puts
// every way a call can end into one schedule.

import { runSchedule, type Op } from './schedule.js';
import { KINDS, cleanUpAfterEach } from './support.js';

cleanUpAfterEach();

const found: Array<{ what: string; maxWorkers: number; ops: Op[] }> = [
  {
    what: 'a buffered map iterated after shutdown(): its next submit throws the shutdown error after the results already submitted (as Python 3.14)',
    maxWorkers: 1,
    ops: [
      {
        t: 'mapBreak',
        n: 2,
        breakAfter: 2,
        throwAt: 1,
        kind: 'value',
        ms: 0,
        buffersize: 1,
        chunksize: 1,
        awaited: false,
      },
      { t: 'submit', kind: 'value', ms: 0 },
    ],
  },
  {
    what: 'a map whose calls shutdown({ cancelFutures: true }) cancelled throws CancelledError when it reaches one (as Python)',
    maxWorkers: 1,
    ops: [
      {
        t: 'mapBreak',
        n: 3,
        breakAfter: 3,
        throwAt: 2,
        kind: 'value',
        ms: 0,
        buffersize: null,
        chunksize: 1,
        awaited: false,
      },
      { t: 'shutdown', wait: false, cancelFutures: true },
      { t: 'submit', kind: 'value', ms: 0 },
    ],
  },
  {
    what: 'a burst of submits cancelled in its own tick, a buffered map left unfinished, shutdown(wait: false), then wait(ALL_COMPLETED) on futures of every kind',
    maxWorkers: 2,
    ops: [
      { t: 'cancel', target: 17 },
      { t: 'submit', kind: 'value', ms: 17 },
      { t: 'submit', kind: 'reject', ms: 12 },
      { t: 'tick' },
      { t: 'cancel', target: 3 },
      { t: 'burst', n: 30, cancelEvery: 4 },
      {
        t: 'mapBreak',
        n: 5,
        breakAfter: 0,
        throwAt: 7,
        kind: 'slow',
        ms: 3,
        buffersize: 3,
        chunksize: 1,
        awaited: false,
      },
      { t: 'shutdown', wait: false, cancelFutures: false },
      {
        t: 'wait',
        targets: [50, 31, 51, 58],
        returnWhen: 'ALL_COMPLETED',
        timeout: null,
        awaited: true,
      },
      { t: 'submit', kind: 'busy', ms: 15 },
    ],
  },
  {
    what: 'written by hand: every way a call can end in one schedule (timeouts, aborts before and while running, a spinning call, an exiting one, cancels), on 1 to 3 workers',
    maxWorkers: 3,
    ops: [
      { t: 'schedule', kind: 'spin', ms: 0, timeout: 20, withSignal: true },
      { t: 'submit', kind: 'value', ms: 0 },
      { t: 'submit', kind: 'slow', ms: 10 },
      { t: 'schedule', kind: 'slow', ms: 15, timeout: null, withSignal: true },
      { t: 'schedule', kind: 'busy', ms: 15, timeout: null, withSignal: true },
      { t: 'sleep', ms: 5 },
      { t: 'abort', target: 3 },
      { t: 'abort', target: 4 },
      { t: 'abort', target: 0 },
      { t: 'burst', n: 10, cancelEvery: 3 },
      { t: 'schedule', kind: 'busy', ms: 20, timeout: 5, withSignal: false },
      { t: 'submit', kind: 'exit', ms: 0 },
      { t: 'submit', kind: 'value', ms: 0 },
      { t: 'shutdown', wait: false, cancelFutures: false },
    ],
  },
];

describe.each(KINDS)('%s pool', (kind) => {
  test.each(found)(
    '$what',
    async ({ maxWorkers, ops }) => {
      await runSchedule(kind, maxWorkers, ops);
    },
    60_000,
  );
});
