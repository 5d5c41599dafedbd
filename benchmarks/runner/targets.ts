// The targets of issue 6 (and the speed rows of issues 9 and 11), checked against one run.
// "The best peer" means the best Node peer of the same runtime, as in the table; Python's
// figures are shown beside them for information, except where a target names Python.

import { LIBRARIES, QUEUE_HOSTS, type Kind } from './plan.js';
import type { ResultsView } from './results.js';

export interface TargetResult {
  id: string;
  /** The target as the issue words it. */
  text: string;
  group: string;
  /** The report row the target is printed on. */
  row: string;
  /** The figure that decides it, e.g. "1.62× poolifier FixedThreadPool" or "0.98". */
  figure: string;
  /** undefined: not measured in this run (skipped, failed or not selected). */
  met: boolean | undefined;
}

type Direction = 'higher' | 'lower';

function bestPeer(
  view: ResultsView,
  groupId: string,
  kind: Kind,
  better: Direction,
): { lib: string; value: number } | undefined {
  let best: { lib: string; value: number } | undefined;
  for (const [lib, library] of Object.entries(LIBRARIES)) {
    if (library.kind !== kind || !library.targetPeer) continue;
    const value = view.median(groupId, lib);
    if (value === undefined) continue;
    if (!best || (better === 'higher' ? value > best.value : value < best.value))
      best = { lib, value };
  }
  return best;
}

/** ours / best peer against a bound: at least `bound` (higher is better) or at most (lower is better). */
function versusBestPeer(
  view: ResultsView,
  id: string,
  text: string,
  groupId: string,
  ours: string,
  better: Direction,
  bound: number,
): TargetResult {
  const kind = LIBRARIES[ours]!.kind;
  const mine = view.median(groupId, ours);
  const best = bestPeer(view, groupId, kind, better);
  if (mine === undefined || !best)
    return { id, text, group: groupId, row: ours, figure: 'not measured', met: undefined };
  const ratio = mine / best.value;
  return {
    id,
    text,
    group: groupId,
    row: best.lib,
    figure: `${ratioText(ratio, bound)} ${LIBRARIES[best.lib]!.label}`,
    met: better === 'higher' ? ratio >= bound : ratio <= bound,
  };
}

function atLeast(
  id: string,
  text: string,
  groupId: string,
  row: string,
  value: number | undefined,
  bound: number,
  format: (v: number) => string,
): TargetResult {
  if (value === undefined)
    return { id, text, group: groupId, row, figure: 'not measured', met: undefined };
  return { id, text, group: groupId, row, figure: format(value), met: value >= bound };
}

export function evaluateTargets(view: ResultsView): TargetResult[] {
  const targets: TargetResult[] = [
    versusBestPeer(
      view,
      'thread-calls',
      'thread per-call ≥ 1.5× the best thread peer',
      'calls@2',
      'ours-threads',
      'higher',
      1.5,
    ),
    versusBestPeer(
      view,
      'process-calls',
      'process per-call ≥ 2× the best process peer',
      'calls@2',
      'ours-processes',
      'higher',
      2,
    ),
  ];

  const ourMap = view.median('map@2', 'ours-processes');
  const pythonMap = view.median('map@2', 'python-processes');
  targets.push(
    ourMap === undefined || pythonMap === undefined
      ? {
          id: 'process-map',
          text: "process map, chunksize 500 ≥ Python's",
          group: 'map@2',
          row: 'python-processes',
          figure: 'not measured',
          met: undefined,
        }
      : {
          id: 'process-map',
          text: "process map, chunksize 500 ≥ Python's",
          group: 'map@2',
          row: 'python-processes',
          figure: `${ratioText(ourMap / pythonMap, 1)} Python`,
          met: ourMap >= pythonMap,
        },
    atLeast(
      'thread-map',
      'thread map, chunksize 500 ≥ 2M items/s',
      'map@2',
      'ours-threads',
      view.median('map@2', 'ours-threads'),
      2e6,
      (v) => `${(v / 1e6).toFixed(2)}M items/s`,
    ),
  );

  for (const ours of ['ours-threads', 'ours-processes']) {
    const kind = LIBRARIES[ours]!.kind;
    targets.push(
      atLeast(
        `${kind}-efficiency`,
        `primes parallel efficiency ≥ 0.97 (${kind})`,
        'primes@2',
        ours,
        view.efficiency('primes@2', ours),
        0.97,
        (v) => v.toFixed(3),
      ),
    );
  }
  for (const ours of ['ours-threads', 'ours-processes']) {
    const kind = LIBRARIES[ours]!.kind;
    targets.push(
      versusBestPeer(
        view,
        `${kind}-latency`,
        `first result ≤ the best ${kind === 'threads' ? 'thread' : 'process'} peer`,
        'latency@2',
        ours,
        'lower',
        1,
      ),
    );
  }

  const ourLoop = view.median('eventloop@16', 'ours-eventloop');
  const pQueue = view.median('eventloop@16', 'p-queue');
  targets.push(
    ourLoop === undefined || pQueue === undefined
      ? {
          id: 'eventloop',
          text: 'EventLoopExecutor ≥ 0.7× raw p-queue',
          group: 'eventloop@16',
          row: 'p-queue',
          figure: 'not measured',
          met: undefined,
        }
      : {
          id: 'eventloop',
          text: 'EventLoopExecutor ≥ 0.7× raw p-queue',
          group: 'eventloop@16',
          row: 'p-queue',
          figure: `${ratioText(ourLoop / pQueue, 0.7)} p-queue`,
          met: ourLoop / pQueue >= 0.7,
        },
  );

  const ourLoopAll = view.median('eventloopAll@16', 'ours-eventloop');
  const pQueueAll = view.median('eventloopAll@16', 'p-queue');
  targets.push({
    id: 'eventloop-all',
    text: 'EventLoopExecutor with Promise.all ≥ 0.8× raw p-queue',
    group: 'eventloopAll@16',
    row: 'p-queue',
    figure:
      ourLoopAll === undefined || pQueueAll === undefined
        ? 'not measured'
        : `${ratioText(ourLoopAll / pQueueAll, 0.8)} p-queue`,
    met:
      ourLoopAll === undefined || pQueueAll === undefined
        ? undefined
        : ourLoopAll / pQueueAll >= 0.8,
  });

  for (const ours of ['ours-threads', 'ours-processes']) {
    const plain = view.median('firstResults@2', ours);
    const tsx = view.median('firstResults-tsx@2', ours);
    targets.push({
      id: `loaders-${LIBRARIES[ours]!.kind}`,
      text: `first results under \`node --import tsx\` ≤ 1.3× plain node (${LIBRARIES[ours]!.label}, by-source calls)`,
      group: 'firstResults-tsx@2',
      row: ours,
      figure:
        plain === undefined || tsx === undefined
          ? 'not measured'
          : `${ratioText(tsx / plain, 1.3)} plain`,
      met: plain === undefined || tsx === undefined ? undefined : tsx / plain <= 1.3,
    });
  }

  // Issue 16: limited calls against the peers' own per-call limits (this replaces issue 11's
  // "≤ 1.10× plain submit" targets: the peers are the yardstick a user compares against).
  targets.push(
    versusBestPeer(
      view,
      'limited-threads',
      '20,000 calls with a 60 s timeout each ≥ 2× the best thread peer',
      'limitedCalls@2',
      'ours-threads',
      'higher',
      2,
    ),
    versusBestPeer(
      view,
      'limited-processes',
      '20,000 calls with a 60 s timeout each ≥ 1.3× the best process peer',
      'limitedCalls@2',
      'ours-processes',
      'higher',
      1.3,
    ),
  );
  targets.push(...queueTargets(view));
  return targets;
}

/** Issue 19: the QueueExecutor against raw BullMQ, across hosts, and on the prime job. */
function queueTargets(view: ResultsView): TargetResult[] {
  const measured = (
    id: string,
    text: string,
    group: string,
    row: string,
    ratio: number | undefined,
    bound: number,
    against: string,
  ): TargetResult => ({
    id,
    text,
    group,
    row,
    figure: ratio === undefined ? 'not measured' : `${ratioText(ratio, bound)} ${against}`,
    met: ratio === undefined ? undefined : ratio >= bound,
  });
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : a / b;
  const targets = [
    measured(
      'queue-calls',
      '10,000 trivial calls through the QueueExecutor ≥ 0.8× raw BullMQ',
      'queueCalls@16',
      'bullmq',
      ratio(view.median('queueCalls@16', 'ours-queue'), view.median('queueCalls@16', 'bullmq')),
      0.8,
      'raw BullMQ',
    ),
  ];
  const oneHost = view.median(`queueSleeps@${QUEUE_HOSTS[0]}`, 'ours-queue');
  for (const hosts of QUEUE_HOSTS.slice(1)) {
    const group = `queueSleeps@${hosts}`;
    const rate = view.median(group, 'ours-queue');
    targets.push(
      measured(
        `queue-sleeps-${hosts}`,
        `sleep-bound calls on ${hosts} hosts ≥ 0.9× linear`,
        group,
        'ours-queue',
        ratio(rate, oneHost === undefined ? undefined : oneHost * hosts),
        0.9,
        'linear',
      ),
    );
  }
  targets.push(
    measured(
      'queue-primes',
      'the prime job on 2 hosts ≥ 1.7× serial',
      'queuePrimes@2',
      'ours-queue',
      ratio(view.median('queuePrimes@2', 'serial'), view.median('queuePrimes@2', 'ours-queue')),
      1.7,
      'serial',
    ),
  );
  return targets;
}

/** A ratio with two decimals, or three where two would print the bound itself (1.10× "not met"). */
function ratioText(ratio: number, bound: number): string {
  const digits = ratio.toFixed(2) === bound.toFixed(2) && ratio !== bound ? 3 : 2;
  return `${ratio.toFixed(digits)}×`;
}

export function verdict(met: boolean | undefined): string {
  return met === undefined ? 'not measured' : met ? 'met' : '**not met**';
}
