// Renders one run as Markdown: one table per workload with the medians, the ratio ours/peer, and
// each target printed on the row whose ratio decides it; then the targets in one list.
// The same text goes to the terminal and into benchmarks/README.md.

import { createRequire } from 'node:module';
import { LIBRARIES, QUEUE_HOSTS, SCALING_WORKERS, type Kind } from './plan.js';
import {
  KIND_LABEL,
  median,
  type GroupResult,
  type LibraryResult,
  type ResultsView,
} from './results.js';
import { verdict, type TargetResult } from './targets.js';

type Format = (value: number) => string;

interface Sizes {
  calls: number;
  mapItems: number;
  transferMB: number;
  chunksize: number;
  eventLoopCalls: number;
  timeoutCalls: number;
}
const sizes = createRequire(import.meta.url)('../sample/sizes.json') as Sizes;

const n0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fmt = {
  rate: (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : n0.format(v)),
  seconds: (v: number) => `${v.toFixed(2)} s`,
  ms: (v: number) => `${v < 10 ? v.toFixed(1) : n0.format(v)} ms`,
  mib: (v: number) => `${v.toFixed(0)} MiB`,
  ratio: (v: number) => `${v.toFixed(2)}×`,
  efficiency: (v: number) => v.toFixed(3),
} satisfies Record<string, Format>;

const KIND_ORDER: Kind[] = ['serial', 'threads', 'processes', 'eventloop', 'queue'];

function libraryName(view: ResultsView, lib: string): string {
  const library = LIBRARIES[lib]!;
  if (library.ours) return `**${library.label}** (ours)`;
  const version = library.pkg
    ? view.results.versions[library.pkg]
    : library.python
      ? view.results.machine.python
      : undefined;
  return version ? `${library.label} ${version.replace(/^Python /, '')}` : library.label;
}

/** The group's libraries by runtime, ours first in each. */
function rowsOf(group: GroupResult): { kind: Kind; ours: string | undefined; libs: string[] }[] {
  return KIND_ORDER.flatMap((kind) => {
    const libs = Object.keys(group.libraries).filter((lib) => LIBRARIES[lib]!.kind === kind);
    if (libs.length === 0) return [];
    libs.sort((a, b) => Number(Boolean(LIBRARIES[b]!.ours)) - Number(Boolean(LIBRARIES[a]!.ours)));
    return [{ kind, ours: libs.find((lib) => LIBRARIES[lib]!.ours), libs }];
  });
}

function optional(value: number | undefined, format: Format): string {
  return value === undefined ? '' : format(value);
}

/** A median, or why there is none. */
function valueCell(result: LibraryResult | undefined, format: Format): string {
  if (!result) return 'not run';
  const value = median(result.samples);
  if (value !== undefined) return format(value);
  if (result.skip) return `skipped: ${result.skip}`;
  return result.errors.length > 0 ? 'failed (see below)' : 'no sample';
}

function spreadCell(result: LibraryResult | undefined, format: Format): string {
  if (!result || result.samples.length < 2) return '';
  return `${format(Math.min(...result.samples))} – ${format(Math.max(...result.samples))}`;
}

function targetCell(targets: TargetResult[], groupId: string, lib: string): string {
  return targets
    .filter((t) => t.group === groupId && t.row === lib)
    .map((t) =>
      t.met === undefined
        ? `${t.text}: not measured`
        : `${t.text}: ${t.figure} — ${verdict(t.met)}`,
    )
    .join('<br>');
}

/** A Markdown table; columns from the third on are numbers, right-aligned, unless `left` names them. */
function table(header: string[], rows: string[][], left: string[] = ['target']): string {
  const align = header.map((h, i) => (i < 2 || left.includes(h) ? '---' : '---:'));
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Errors, skips of ours, stray processes and slow closes, under the table they belong to. */
function notes(view: ResultsView, groupIds: string[]): string {
  const lines: string[] = [];
  for (const id of groupIds) {
    const group = view.group(id);
    if (!group) continue;
    for (const [lib, result] of Object.entries(group.libraries)) {
      const name = `${LIBRARIES[lib]!.label} (${id})`;
      const total = result.samples.length + result.errors.length;
      for (const error of new Set(result.errors)) {
        const times = result.errors.filter((e) => e === error).length;
        lines.push(`- ${name}: failed in ${times} of ${total} samples: ${error.split('\n')[0]}`);
      }
      for (const warning of new Set(result.warnings)) lines.push(`- ${name}: ${warning}`);
    }
  }
  return lines.length > 0 ? `\n\n${lines.join('\n')}` : '';
}

/** A table of medians with ours/peer per runtime; `better` says which way a ratio is good. */
function standardSection(
  view: ResultsView,
  targets: TargetResult[],
  groupId: string,
  format: Format,
): string {
  const group = view.group(groupId);
  if (!group) return '_not run_';
  const rows: string[][] = [];
  for (const { kind, ours, libs } of rowsOf(group)) {
    const mine = ours ? view.median(groupId, ours) : undefined;
    for (const lib of libs) {
      const result = group.libraries[lib];
      const value = view.median(groupId, lib);
      const ratio =
        lib !== ours && mine !== undefined && value !== undefined ? fmt.ratio(mine / value) : '';
      rows.push([
        KIND_LABEL[kind],
        libraryName(view, lib),
        valueCell(result, format),
        spreadCell(result, format),
        String(result?.samples.length ?? 0),
        ratio,
        targetCell(targets, groupId, lib),
      ]);
    }
  }
  return (
    table(['runtime', 'library', 'median', 'min – max', 'n', 'ours/peer', 'target'], rows) +
    notes(view, [groupId])
  );
}

function primesSection(view: ResultsView, targets: TargetResult[]): string {
  const groupId = 'primes@2';
  const group = view.group(groupId);
  if (!group) return '_not run_';
  const rows: string[][] = [];
  for (const { kind, ours, libs } of rowsOf(group)) {
    const mine = ours ? view.efficiency(groupId, ours) : undefined;
    for (const lib of libs) {
      const result = group.libraries[lib];
      const efficiency = kind === 'serial' ? undefined : view.efficiency(groupId, lib);
      const ratio =
        lib !== ours && mine !== undefined && efficiency !== undefined
          ? fmt.ratio(mine / efficiency)
          : '';
      rows.push([
        KIND_LABEL[kind],
        libraryName(view, lib),
        valueCell(result, fmt.seconds),
        spreadCell(result, fmt.seconds),
        String(result?.samples.length ?? 0),
        efficiency === undefined ? '' : fmt.efficiency(efficiency),
        kind === 'serial' ? '' : optional(view.bestEfficiency(groupId, lib), fmt.efficiency),
        ratio,
        targetCell(targets, groupId, lib),
      ]);
    }
  }
  return (
    table(
      [
        'runtime',
        'library',
        'time',
        'min – max',
        'n',
        'efficiency',
        'fastest samples',
        'ours/peer',
        'target',
      ],
      rows,
    ) + notes(view, [groupId])
  );
}

function memorySection(view: ResultsView): string {
  const ids = ['memory@2', 'memory@8'].filter((id) => view.group(id));
  const first = view.group(ids[0] ?? '');
  if (!first) return '_not run_';
  const rows: string[][] = [];
  for (const { kind, ours, libs } of rowsOf(first)) {
    for (const lib of libs) {
      const cells = [KIND_LABEL[kind], libraryName(view, lib)];
      for (const id of ids) {
        const value = view.median(id, lib);
        const mine = ours ? view.median(id, ours) : undefined;
        cells.push(valueCell(view.lib(id, lib), fmt.mib));
        cells.push(
          lib !== ours && mine !== undefined && value !== undefined ? fmt.ratio(mine / value) : '',
        );
      }
      rows.push(cells);
    }
  }
  const header = [
    'runtime',
    'library',
    ...ids.flatMap((id) => [`${id.split('@')[1]} workers`, 'ours/peer']),
  ];
  return table(header, rows) + notes(view, ids);
}

/** One column per worker count; the 2-worker column comes from the main section's group. */
function scalingSection(view: ResultsView, workload: 'calls' | 'primes'): string {
  const present = SCALING_WORKERS.filter((w) => view.group(`${workload}@${w}`));
  const scaling = view.group(`${workload}@1`) ?? view.group(`${workload}@4`);
  if (!scaling) return '_not run_';
  const rows: string[][] = [];
  for (const { kind, ours, libs } of rowsOf(scaling)) {
    for (const lib of libs) {
      const cells = [KIND_LABEL[kind], libraryName(view, lib)];
      for (const w of present) {
        const id = `${workload}@${w}`;
        const value = view.median(id, lib);
        if (value === undefined) {
          cells.push(valueCell(view.lib(id, lib), fmt.rate));
        } else if (workload === 'calls') {
          cells.push(fmt.rate(value));
        } else {
          const efficiency = view.efficiency(id, lib);
          cells.push(
            `${fmt.seconds(value)}${efficiency === undefined ? '' : ` · ${fmt.efficiency(efficiency)}`}`,
          );
        }
      }
      rows.push(cells);
    }
    if (ours) {
      const cells = [KIND_LABEL[kind], '_ours / best peer_'];
      for (const w of present) {
        const id = `${workload}@${w}`;
        const peers = libs.filter((lib) => lib !== ours && LIBRARIES[lib]!.targetPeer);
        const mine = workload === 'calls' ? view.median(id, ours) : view.efficiency(id, ours);
        const values = peers
          .map((lib) => (workload === 'calls' ? view.median(id, lib) : view.efficiency(id, lib)))
          .filter((v): v is number => v !== undefined);
        cells.push(
          mine === undefined || values.length === 0 ? '' : fmt.ratio(mine / Math.max(...values)),
        );
      }
      rows.push(cells);
    }
  }
  const ids = present.map((w) => `${workload}@${w}`);
  return (
    table(['runtime', 'library', ...present.map((w) => `${w} worker${w > 1 ? 's' : ''}`)], rows) +
    notes(
      view,
      ids.filter((id) => !id.endsWith('@2')),
    )
  );
}

function timeoutsSection(view: ResultsView, targets: TargetResult[]): string {
  const group = view.group('timeouts@2');
  if (!group) return '_not run_';
  const rows = Object.keys(group.libraries).map((lib) => {
    const result = group.libraries[lib]!;
    const detail = (key: string, format: Format) => {
      const values = result.details
        .map((d) => d[key])
        .filter((v): v is number => typeof v === 'number');
      return values.length ? format(median(values)!) : '';
    };
    return [
      LIBRARIES[lib]!.label,
      valueCell(result, fmt.ratio),
      detail('submitMs', fmt.ms),
      detail('scheduleMs', fmt.ms),
      detail('sequentialRatio', fmt.ratio),
      detail('sequentialSubmitMs', fmt.ms),
      detail('sequentialScheduleMs', fmt.ms),
      detail('signalRatio', fmt.ratio),
      targetCell(targets, 'timeouts@2', lib),
    ];
  });
  const header = [
    'executor',
    'at once: schedule ÷ submit',
    'submit (at once)',
    'schedule (at once)',
    'one by one: schedule ÷ submit',
    'submit (one by one)',
    'schedule (one by one)',
    'at once, a signal and no timeout ÷ submit',
    'target',
  ];
  return table(header, rows) + notes(view, ['timeouts@2']);
}

/** Section 12: a large buffer's round trip, copied and moved with `transfer`. */
function transfersSection(view: ResultsView): string {
  const group = view.group('transfer@2');
  if (!group) return '_not run_';
  const rows = Object.keys(group.libraries).map((lib) => {
    const result = group.libraries[lib]!;
    const detail = (key: string, format: Format) => {
      const values = result.details
        .map((d) => d[key])
        .filter((v): v is number => typeof v === 'number');
      return values.length ? format(median(values)!) : '';
    };
    return [
      LIBRARIES[lib]!.label,
      detail('copiedMs', fmt.ms),
      valueCell(result, fmt.ms),
      detail('ratio', fmt.ratio),
    ];
  });
  return (
    table(['pool', 'copied', 'with `transfer`', 'copied ÷ transfer'], rows) +
    notes(view, ['transfer@2'])
  );
}

/** Section 9: two first results of by-source calls under `node --import tsx` against plain node. */
function loadersSection(view: ResultsView, targets: TargetResult[]): string {
  const plain = view.group('firstResults@2');
  const tsx = view.group('firstResults-tsx@2');
  if (!plain || !tsx) return '_not run_';
  const rows = Object.keys(plain.libraries).map((lib) => {
    const a = view.median('firstResults@2', lib);
    const b = view.median('firstResults-tsx@2', lib);
    return [
      LIBRARIES[lib]!.label,
      valueCell(plain.libraries[lib], fmt.ms),
      valueCell(tsx.libraries[lib], fmt.ms),
      a !== undefined && b !== undefined ? fmt.ratio(b / a) : '',
      targetCell(targets, 'firstResults-tsx@2', lib),
    ];
  });
  return (
    table(['pool', 'plain node', 'node --import tsx', 'tsx ÷ plain', 'target'], rows) +
    notes(view, ['firstResults@2', 'firstResults-tsx@2'])
  );
}

const QUEUE_GROUPS = [
  'queueCalls@16',
  'queueLatency@1',
  ...QUEUE_HOSTS.map((hosts) => `queueSleeps@${hosts}`),
  'queuePrimes@2',
];

function queueSection(view: ResultsView, targets: TargetResult[]): string {
  const oneHost = view.median(`queueSleeps@${QUEUE_HOSTS[0]}`, 'ours-queue');
  const sleeps = QUEUE_HOSTS.map((hosts) => {
    const groupId = `queueSleeps@${hosts}`;
    const result = view.lib(groupId, 'ours-queue');
    const rate = view.median(groupId, 'ours-queue');
    const scaling =
      rate === undefined || oneHost === undefined || hosts === QUEUE_HOSTS[0]
        ? ''
        : fmt.ratio(rate / (oneHost * hosts));
    return [
      String(hosts),
      valueCell(result, fmt.rate),
      spreadCell(result, fmt.rate),
      String(result?.samples.length ?? 0),
      scaling,
      targetCell(targets, groupId, 'ours-queue'),
    ];
  });
  return [
    `a)\n\n${standardSection(view, targets, 'queueCalls@16', fmt.rate)}`,
    `b)\n\n${standardSection(view, targets, 'queueLatency@1', fmt.ms)}`,
    `c)\n\n${table(['hosts', 'calls/s', 'min – max', 'n', 'scaling', 'target'], sleeps)}` +
      notes(
        view,
        QUEUE_HOSTS.map((hosts) => `queueSleeps@${hosts}`),
      ),
    `d)\n\n${standardSection(view, targets, 'queuePrimes@2', fmt.seconds)}`,
  ].join('\n\n');
}

export function machineLine(view: ResultsView): string {
  const { machine, commit, dirty, date, options, durationSeconds } = view.results;
  const load = (l: number[] | undefined) => (l ? l.map((x) => x.toFixed(1)).join(' / ') : '?');
  return [
    `Taken ${date} on ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.os}; Node ${machine.node}; ${machine.python ?? 'no python3'}.`,
    `Commit ${commit.slice(0, 10)}${dirty ? ' plus uncommitted changes in the working tree' : ''}; ${options.rounds} round${options.rounds > 1 ? 's' : ''} (medians)` +
      `${durationSeconds ? `, ${Math.round(durationSeconds)} s in all` : ''}; load average (1/5/15 min) ${load(machine.loadAverageAtStart)} at the start, ${load(machine.loadAverageAtEnd)} at the end.` +
      environmentLine(view),
  ].join('\n');
}

export function renderReport(view: ResultsView, targets: TargetResult[]): string {
  const has = (id: string) => view.group(id) !== undefined;
  const parts: string[] = [machineLine(view)];
  const section = (title: string, legend: string, body: string) =>
    parts.push(`### ${title}\n\n${legend}\n\n${body}`);

  if (has('calls@2'))
    section(
      `1. Per-call throughput — ${n0.format(sizes.calls)} calls of \`x => x + 1\` submitted at once, 2 workers`,
      'Calls per second (higher is better); ours/peer > 1: ours is faster.',
      standardSection(view, targets, 'calls@2', fmt.rate),
    );
  if (has('map@2'))
    section(
      `2. \`map\` throughput — ${n0.format(sizes.mapItems)} items of \`x => x + 1\`, chunksize ${sizes.chunksize}, 2 workers`,
      "Items per second (higher is better). piscina, tinypool, workerpool and poolifier have no `map`: not measured. Python's `ThreadPoolExecutor.map` ignores `chunksize` (a future per item): not measured.",
      standardSection(view, targets, 'map@2', fmt.rate),
    );
  if (has('primes@2'))
    section(
      "3. The prime job — the six numbers of Python's docs, four times over (24 calls), 2 workers",
      "Time of the 24 calls on a warm pool; parallel efficiency = serial time ÷ (pool time × 2 workers), serial time of the same language from this run (higher is better; 1 is perfect), from the medians (the target's figure) and from the fastest samples of each (the least disturbed by other jobs).",
      primesSection(view, targets),
    );
  if (has('latency@2'))
    section(
      '4. First-result latency — from the constructor to the first result, 2 workers',
      'Milliseconds (lower is better); ours/peer < 1: ours answers first. Imports are not counted.',
      standardSection(view, targets, 'latency@2', fmt.ms),
    );
  if (has('memory@2') || has('memory@8'))
    section(
      '5. Memory — an idle pool after one call per worker',
      'VmRSS of the process plus every process it started, in MiB (lower is better); for threads the process covers its workers. ' +
        'Forked children (Python) share pages with their parent, and VmRSS counts shared pages in each process.',
      memorySection(view),
    );
  if (has('calls@1') || has('calls@4') || has('calls@8'))
    section(
      '6a. Scaling, per-call throughput (workload 1) at 1, 2, 4 and 8 workers',
      'Calls per second; this machine has ' +
        `${view.results.machine.cpus} cores, so beyond that the figures show overhead.`,
      scalingSection(view, 'calls'),
    );
  if (has('primes@1') || has('primes@4') || has('primes@8'))
    section(
      '6b. Scaling, the prime job (workload 3) at 1, 2, 4 and 8 workers',
      'Time · parallel efficiency (serial time ÷ (time × workers)); past the core count the efficiency must fall as 2/workers.',
      scalingSection(view, 'primes'),
    );
  if (has('eventloop@16'))
    section(
      `7. EventLoopExecutor — ${n0.format(sizes.eventLoopCalls)} trivial async calls submitted at once, 16 at a time`,
      'Calls per second (higher is better).',
      standardSection(view, targets, 'eventloop@16', fmt.rate),
    );
  if (has('eventloopAll@16'))
    section(
      `7b. EventLoopExecutor with Promise.all — 1,000 awaited warm-up calls, then ${n0.format(sizes.eventLoopCalls)} async calls submitted at once and one \`await Promise.all(futures)\`, 16 at a time`,
      "Calls per second (higher is better). A future is a thenable, not a native promise: Promise.all pays for each. p-queue's figure is `queue.add(() => fn(i))` the same way.",
      standardSection(view, targets, 'eventloopAll@16', fmt.rate),
    );
  if (has('timeouts@2'))
    section(
      `8. Per-call timeouts that never fire — ${n0.format(sizes.timeoutCalls)} calls, 2 workers`,
      'Time of the calls through `schedule(fn, { args, timeout: 60000 })` ÷ through `submit` (lower is better), alternated in one process, medians of 20 after 10 warm-ups; ' +
        "submitted at once, and awaited one by one. A thread pool hands such a call ahead like any other, in a message of its own whose start the worker reports; a process pool gives it only to a free worker (the API contract), so the first figure includes the lost batching; the second is the timer's own cost. The last column is a burst of calls with a signal that never aborts and no timeout: no timer at all. For information: the target for limited calls is §9, against the peers' own per-call limits.",
      timeoutsSection(view, targets),
    );
  if (has('limitedCalls@2'))
    section(
      `9. Calls with a per-call timeout — ${n0.format(sizes.calls)} calls of \`x => x + 1\` at once, each with a 60 s timeout, 2 workers`,
      'Calls per second (higher is better), each library through its own per-call limit: ours `schedule(fn, { args, timeout })`, piscina and tinypool an `AbortSignal.timeout()` per call, workerpool `exec().timeout()`; poolifier has none.',
      standardSection(view, targets, 'limitedCalls@2', fmt.rate),
    );

  if (has('firstResults@2') || has('firstResults-tsx@2'))
    section(
      '10. TypeScript loaders — two first results of calls sent by source on a fresh 2-worker pool, under plain node and under `node --import tsx`',
      'Milliseconds from the constructor to both results (lower is better). The workers apply the loader only before they first import a module: these calls need none.',
      loadersSection(view, targets),
    );

  if (QUEUE_GROUPS.some(has))
    section(
      '11. QueueExecutor — on BullMQ and a redis-server of the run’s own, worker hosts as processes of their own',
      'a) 10,000 trivial calls at once through one host of concurrency 16, against raw BullMQ doing the same work ' +
        '(`addBulk`, a `Worker` of concurrency 16 in a process of its own, results from `QueueEvents`): calls per second (higher is better). ' +
        'b) One call on an idle system: the median of 200 calls each awaited before the next, in milliseconds. ' +
        'c) 160 calls of a 50 ms sleep on 1, 2 and 4 hosts taking 4 calls each: calls per second, and the scaling against 1 host × hosts (1 is linear). ' +
        'd) The prime job (24 calls, through `map`) on 2 hosts of one process each, in seconds, against the same job serially on one thread.',
      queueSection(view, targets),
    );

  if (has('transfer@2'))
    section(
      `12. Large data — a ${sizes.transferMB} MB Buffer to a worker and back, 2 workers`,
      'Milliseconds per round trip (lower is better), medians of 6 in turns: copied (`submit`), and moved both ways (`schedule(fn, { args: [b], transfer: [b.buffer] })`, the function returning `transfer(b, [b.buffer])`). A process pool accepts `transfer` and copies: both of its figures are copies.',
      transfersSection(view),
    );

  const measured = targets.filter((t) => view.group(t.group));
  if (measured.length > 0) {
    parts.push(
      '### Targets\n\n' +
        table(
          ['target', 'figure', 'verdict'],
          measured.map((t) => [t.text, t.figure, verdict(t.met)]),
          ['figure', 'verdict'],
        ),
    );
  }
  return parts.join('\n\n') + '\n';
}

// ── The README's table ─────────────────────────────────────────────────────────────────────
// One row per headline figure, generated from the same run as the full report, so that the two
// never disagree. Each row says which way its ratio is good: calls per second and efficiency are
// better higher, milliseconds and "÷ plain submit" costs better lower.

type Better = 'higher' | 'lower';

interface SummaryRow {
  workload: string;
  ours: string;
  peer: string;
  ratio: string;
  better: Better;
}

/**
 * The best peer of `ours` in a group: same runtime, not ours, by `value` (higher or lower is
 * better). The Node libraries the targets compare against come first; Python only where no such
 * library was measured (its `map`, which the Node pools lack).
 */
function bestPeer(
  view: ResultsView,
  groupId: string,
  ours: string,
  value: (lib: string) => number | undefined,
  better: Better,
): { lib: string; value: number } | undefined {
  const group = view.group(groupId);
  if (!group) return undefined;
  const kind = LIBRARIES[ours]!.kind;
  const measured = Object.keys(group.libraries).filter(
    (lib) => lib !== ours && LIBRARIES[lib]!.kind === kind && value(lib) !== undefined,
  );
  const targetPeers = measured.filter((lib) => LIBRARIES[lib]!.targetPeer);
  let best: { lib: string; value: number } | undefined;
  for (const lib of targetPeers.length > 0 ? targetPeers : measured) {
    const figure = value(lib)!;
    if (!best || (better === 'higher' ? figure > best.value : figure < best.value))
      best = { lib, value: figure };
  }
  return best;
}

/** A row of ours against the best peer of the same runtime, or undefined when ours was not measured. */
function peerRow(
  view: ResultsView,
  workload: string,
  groupId: string,
  ours: string,
  value: (lib: string) => number | undefined,
  format: Format,
  better: Better,
): SummaryRow | undefined {
  const mine = value(ours);
  if (mine === undefined) return undefined;
  const peer = bestPeer(view, groupId, ours, value, better);
  return {
    workload,
    ours: format(mine),
    peer: peer ? `${LIBRARIES[peer.lib]!.label} ${format(peer.value)}` : '—',
    ratio: peer ? fmt.ratio(mine / peer.value) : '—',
    better,
  };
}

function detailMedian(
  view: ResultsView,
  groupId: string,
  lib: string,
  key: string,
): number | undefined {
  const details = view.lib(groupId, lib)?.details ?? [];
  return median(details.map((d) => d[key]).filter((v): v is number => typeof v === 'number'));
}

function summaryRows(view: ResultsView): SummaryRow[] {
  const rows: (SummaryRow | undefined)[] = [];
  const medianOf = (groupId: string) => (lib: string) => view.median(groupId, lib);
  const perRuntime = (
    workload: string,
    groupId: string,
    value: (lib: string) => number | undefined,
    format: Format,
    better: Better,
  ) => {
    for (const [ours, runtime] of [
      ['ours-threads', 'threads'],
      ['ours-processes', 'processes'],
    ] as const) {
      rows.push(peerRow(view, `${workload}, ${runtime}`, groupId, ours, value, format, better));
    }
  };
  const per = (n: number) => n0.format(n);
  const callsPerSecond = (v: number) => `${fmt.rate(v)} calls/s`;
  perRuntime(
    `${per(sizes.calls)} trivial calls`,
    'calls@2',
    medianOf('calls@2'),
    callsPerSecond,
    'higher',
  );
  perRuntime(
    `\`map\` of ${per(sizes.mapItems)} items, chunksize ${sizes.chunksize}`,
    'map@2',
    medianOf('map@2'),
    (v: number) => `${fmt.rate(v)} items/s`,
    'higher',
  );
  perRuntime(
    'prime job, parallel efficiency',
    'primes@2',
    (lib) => view.efficiency('primes@2', lib),
    fmt.efficiency,
    'higher',
  );
  perRuntime('first result', 'latency@2', medianOf('latency@2'), fmt.ms, 'lower');
  perRuntime(
    `${per(sizes.calls)} calls, each with a 60 s timeout`,
    'limitedCalls@2',
    medianOf('limitedCalls@2'),
    callsPerSecond,
    'higher',
  );
  rows.push(
    peerRow(
      view,
      `\`EventLoopExecutor\`, ${per(sizes.eventLoopCalls)} async calls, 16 at once`,
      'eventloop@16',
      'ours-eventloop',
      medianOf('eventloop@16'),
      callsPerSecond,
      'higher',
    ),
  );
  rows.push(
    peerRow(
      view,
      '`QueueExecutor`, 10,000 trivial calls through one host',
      'queueCalls@16',
      'ours-queue',
      medianOf('queueCalls@16'),
      callsPerSecond,
      'higher',
    ),
  );
  // Costs of ours against ours: a ratio to a plain call, no peer.
  const timeouts = view.group('timeouts@2');
  if (timeouts) {
    const libs = ['ours-threads', 'ours-processes', 'ours-eventloop'].filter(
      (lib) => timeouts.libraries[lib],
    );
    const names = libs.map((lib) => KIND_LABEL[LIBRARIES[lib]!.kind]).join(' / ');
    const cells = (value: (lib: string) => number | undefined) =>
      libs.map((lib) => optional(value(lib), fmt.ratio) || '?').join(' / ');
    rows.push({
      workload: `60 s timeout never firing, ${per(sizes.timeoutCalls)} calls at once, ${names}: ÷ plain \`submit\``,
      ours: cells(medianOf('timeouts@2')),
      peer: '',
      ratio: '',
      better: 'lower',
    });
    rows.push({
      workload: 'the same, awaited one by one',
      ours: cells((lib) => detailMedian(view, 'timeouts@2', lib, 'sequentialRatio')),
      peer: '',
      ratio: '',
      better: 'lower',
    });
  }
  if (view.group('transfer@2')) {
    const copied = detailMedian(view, 'transfer@2', 'ours-threads', 'copiedMs');
    const moved = view.median('transfer@2', 'ours-threads');
    if (copied !== undefined && moved !== undefined) {
      rows.push({
        workload: `a ${sizes.transferMB} MB \`Buffer\` there and back, threads: moved with \`transfer\` ÷ copied`,
        ours: `${fmt.ms(moved)} / ${fmt.ms(copied)} = ${fmt.ratio(moved / copied)}`,
        peer: '',
        ratio: '',
        better: 'lower',
      });
    }
  }
  return rows.filter((row): row is SummaryRow => row !== undefined);
}

/** What the run's `environment` field says (optional: older results have none). */
function environmentLine(view: ResultsView): string {
  const environment = view.results.environment;
  if (environment === undefined || environment.removed.length === 0) return '';
  const removed = environment.removed.map(
    (name) => `\`${name}\` (${environment.why[name] ?? 'see benchmarks/runner/environment.ts'})`,
  );
  return ` Every sample ran with the runner's environment, the same for every library, less ${removed.join(' and ')}.`;
}

/**
 * The table for the top README: the headline figures of one run, its date, commit and machine,
 * and which way each ratio is good.
 */
export function renderSummary(view: ResultsView): string {
  const { machine, commit, dirty, date, options } = view.results;
  const load = (l: number[] | undefined) => (l ? l.map((x) => x.toFixed(1)).join(' / ') : '?');
  const header =
    `Measured by \`npm run bench\` on ${date.slice(0, 10)} at commit \`${commit.slice(0, 7)}\`` +
    `${dirty ? ' (plus uncommitted changes)' : ''}: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ` +
    `Node ${machine.node.replace(/^v/, '')}${machine.python ? `, ${machine.python}` : ''}; medians of ${options.rounds} ` +
    `round${options.rounds > 1 ? 's' : ''}, 2 workers; load average ${load(machine.loadAverageAtStart)} at the start ` +
    `(a shared machine: read the ratios rather than the absolute figures).${environmentLine(view)}`;
  const legend =
    '**ours / peer** is our figure divided by the best peer of the same runtime; the last column says ' +
    'which way is better for that row: **higher** for calls or items per second and for parallel ' +
    'efficiency (1 is perfect), **lower** for milliseconds and for costs given as a ratio to a plain call.';
  const rows = summaryRows(view).map((row) => [
    row.workload,
    row.ours,
    row.peer,
    row.ratio,
    row.better,
  ]);
  return `${header}\n\n${legend}\n\n${table(['workload', 'ours', 'best peer', 'ours / peer', 'better'], rows, ['best peer', 'better'])}\n`;
}
