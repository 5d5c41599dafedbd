// Every future settles exactly once, whatever the schedule: fast-check draws random schedules of
// submit / cancel / result with a timeout / wait / asCompleted / map then break / shutdown and
// pauses, and runs each against a real pool of 1–3 workers (see schedule.ts for the checks). The
// seeds are fixed so a run is reproducible; a failure prints the shrunk schedule, which then
// becomes a test in regressions.test.ts.

import fc from 'fast-check';
import { runSchedule, scheduleArbitrary } from './schedule.js';
import { cleanUpAfterEach } from './support.js';

cleanUpAfterEach();

// Fixed and small for `npm test`; RELIABILITY_RUNS / RELIABILITY_SEED explore further by hand.
const extraRuns = Number(process.env.RELIABILITY_RUNS) || undefined;
const extraSeed = Number(process.env.RELIABILITY_SEED) || undefined;
const RUNS = { thread: extraRuns ?? 40, process: extraRuns ?? 15 };
const SEEDS = { thread: extraSeed ?? 20240607, process: extraSeed ?? 20240608 };

test.each(['thread', 'process'] as const)(
  '%s pool: random schedules end every future exactly once, never run a cancelled call, and leave no worker',
  async (kind) => {
    await fc.assert(
      fc.asyncProperty(scheduleArbitrary, ({ maxWorkers, maxTasksPerChild, ops }) =>
        runSchedule(kind, maxWorkers, ops, maxTasksPerChild),
      ),
      {
        seed: SEEDS[kind],
        numRuns: RUNS[kind],
        interruptAfterTimeLimit: extraRuns === undefined ? 45_000 : 3_600_000,
      },
    );
  },
  extraRuns === undefined ? 90_000 : 3_600_000,
);
