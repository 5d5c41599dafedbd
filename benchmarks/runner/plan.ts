// What `npm run bench` measures: the libraries, and the groups of samples taken side by side.
// A group is one workload at one worker count over a list of libraries; the runner takes the
// group's samples round by round (A B C …, A B C …), each in a fresh process, and keeps medians.

export type Kind = 'threads' | 'processes' | 'eventloop' | 'queue' | 'serial';

export interface Library {
  id: string;
  /** Package whose version the report shows. */
  pkg?: string;
  label: string;
  kind: Kind;
  ours?: boolean;
  /** Runs through benchmarks/python_bench.py instead of benchmarks/one.mjs. */
  python?: boolean;
  /** Counts as a peer for the targets (the "best peer" columns name the Node peers only). */
  targetPeer?: boolean;
  /** Needs the redis-server the runner starts for the queue section (skipped when there is none). */
  redis?: boolean;
}

const L = (lib: Library): [string, Library] => [lib.id, lib];

export const LIBRARIES: Record<string, Library> = Object.fromEntries([
  L({
    id: 'ours-threads',
    label: 'ThreadPoolExecutor',
    pkg: 'concurrent-futures',
    kind: 'threads',
    ours: true,
  }),
  L({
    id: 'ours-processes',
    label: 'ProcessPoolExecutor',
    pkg: 'concurrent-futures',
    kind: 'processes',
    ours: true,
  }),
  L({
    id: 'ours-eventloop',
    label: 'EventLoopExecutor',
    pkg: 'concurrent-futures',
    kind: 'eventloop',
    ours: true,
  }),
  L({ id: 'piscina', label: 'piscina', pkg: 'piscina', kind: 'threads', targetPeer: true }),
  L({
    id: 'tinypool-threads',
    label: 'tinypool worker_threads',
    pkg: 'tinypool',
    kind: 'threads',
    targetPeer: true,
  }),
  L({
    id: 'workerpool-threads',
    label: 'workerpool thread',
    pkg: 'workerpool',
    kind: 'threads',
    targetPeer: true,
  }),
  L({
    id: 'poolifier-threads',
    label: 'poolifier FixedThreadPool',
    pkg: 'poolifier',
    kind: 'threads',
    targetPeer: true,
  }),
  L({
    id: 'tinypool-processes',
    label: 'tinypool child_process',
    pkg: 'tinypool',
    kind: 'processes',
    targetPeer: true,
  }),
  L({
    id: 'workerpool-processes',
    label: 'workerpool process',
    pkg: 'workerpool',
    kind: 'processes',
    targetPeer: true,
  }),
  L({
    id: 'poolifier-cluster',
    label: 'poolifier FixedClusterPool',
    pkg: 'poolifier',
    kind: 'processes',
    targetPeer: true,
  }),
  L({ id: 'python-threads', label: 'Python ThreadPoolExecutor', kind: 'threads', python: true }),
  L({
    id: 'python-processes',
    label: 'Python ProcessPoolExecutor',
    kind: 'processes',
    python: true,
  }),
  L({ id: 'serial', label: 'serial, this thread (Node)', kind: 'serial' }),
  L({ id: 'python-serial', label: 'serial (Python)', kind: 'serial', python: true }),
  L({ id: 'p-queue', label: 'p-queue', pkg: 'p-queue', kind: 'eventloop', targetPeer: true }),
  L({ id: 'p-limit', label: 'p-limit', pkg: 'p-limit', kind: 'eventloop', targetPeer: true }),
  L({
    id: 'ours-queue',
    label: 'QueueExecutor',
    pkg: 'concurrent-futures',
    kind: 'queue',
    ours: true,
    redis: true,
  }),
  L({
    id: 'bullmq',
    label: 'raw BullMQ (addBulk + Worker + QueueEvents)',
    pkg: 'bullmq',
    kind: 'queue',
    targetPeer: true,
    redis: true,
  }),
]);

const THREAD_POOLS = [
  'ours-threads',
  'piscina',
  'tinypool-threads',
  'workerpool-threads',
  'poolifier-threads',
];
const PROCESS_POOLS = [
  'ours-processes',
  'tinypool-processes',
  'workerpool-processes',
  'poolifier-cluster',
];
const NODE_POOLS = [...THREAD_POOLS, ...PROCESS_POOLS];
/** Scaling keeps to ours and two peers per runtime (the best ones and the most used), for time. */
const SCALING_POOLS = [
  'ours-threads',
  'piscina',
  'poolifier-threads',
  'ours-processes',
  'tinypool-processes',
  'workerpool-processes',
];
const ALL_POOLS = [...THREAD_POOLS, 'python-threads', ...PROCESS_POOLS, 'python-processes'];

/** The sections of the report, in order; `--only` takes these names. */
export const SECTIONS = [
  'calls',
  'map',
  'primes',
  'latency',
  'memory',
  'scaling',
  'eventloop',
  'timeouts',
  'loaders',
  'queue',
  'transfers',
] as const;
export type Section = (typeof SECTIONS)[number];

export interface Group {
  id: string;
  section: Section;
  /** The workload name one.mjs / python_bench.py know. */
  workload: string;
  workers: number;
  libraries: string[];
  /** Libraries sampled in the first round only (slow ones whose figure is for information). */
  firstRoundOnly?: string[];
  /** Node options of the sample process (default none: plain node). */
  nodeArgs?: string[];
}

const group = (
  section: Section,
  workload: string,
  workers: number,
  libraries: string[],
  extra: Partial<Group> = {},
): Group => ({
  id: `${workload}@${workers}`,
  section,
  workload,
  workers,
  libraries,
  ...extra,
});

/** The worker-host counts of the queue's sleep-bound scaling. */
export const QUEUE_HOSTS = [1, 2, 4];

export const GROUPS: Group[] = [
  group('calls', 'calls', 2, ALL_POOLS),
  group('map', 'map', 2, ['ours-threads', 'ours-processes', 'python-processes']),
  // Python's pure-Python prime loop takes ~25 s per round here: one round of it is enough to show its efficiency.
  group('primes', 'primes', 2, ['serial', ...NODE_POOLS, 'python-serial', 'python-processes'], {
    firstRoundOnly: ['python-serial', 'python-processes'],
  }),
  group('latency', 'latency', 2, ALL_POOLS),
  group('memory', 'memory', 2, ALL_POOLS),
  group('memory', 'memory', 8, ALL_POOLS),
  ...[1, 4, 8].map((workers) => group('scaling', 'calls', workers, SCALING_POOLS)),
  ...[1, 4, 8].map((workers) => group('scaling', 'primes', workers, SCALING_POOLS)),
  group('eventloop', 'eventloop', 16, ['ours-eventloop', 'p-queue', 'p-limit']),
  // Issue 17: the way most users await a batch (1,000 awaited warm-up calls, then one Promise.all).
  group('eventloop', 'eventloopAll', 16, ['ours-eventloop', 'p-queue']),
  group('timeouts', 'timeouts', 2, ['ours-threads', 'ours-processes', 'ours-eventloop']),
  // Peers with a per-call time limit of their own (poolifier has none).
  group('timeouts', 'limitedCalls', 2, [
    'ours-threads',
    'piscina',
    'tinypool-threads',
    'workerpool-threads',
    'ours-processes',
    'tinypool-processes',
    'workerpool-processes',
  ]),
  // Issue 17: two first results of by-source calls, under plain node and under `node --import tsx`
  // (the workers must not pay for a loader these calls do not use).
  group('loaders', 'firstResults', 2, ['ours-threads', 'ours-processes']),
  group('loaders', 'firstResults', 2, ['ours-threads', 'ours-processes'], {
    id: 'firstResults-tsx@2',
    nodeArgs: ['--import', 'tsx'],
  }),
  // Issue 19: the QueueExecutor on BullMQ and a redis-server of the runner's own. `workers` is the
  // host's concurrency (calls, latency) or the number of hosts (sleeps, primes).
  group('queue', 'queueCalls', 16, ['ours-queue', 'bullmq']),
  group('queue', 'queueLatency', 1, ['ours-queue']),
  ...QUEUE_HOSTS.map((hosts) => group('queue', 'queueSleeps', hosts, ['ours-queue'])),
  group('queue', 'queuePrimes', 2, ['serial', 'ours-queue']),
  // Issue 18: a 50 MB buffer round trip copied, and moved with `transfer` both ways.
  group('transfers', 'transfer', 2, ['ours-threads', 'ours-processes']),
];

/** Where the scaling section finds the 2-worker figures and the serial time. */
export const SCALING_WORKERS = [1, 2, 4, 8];
