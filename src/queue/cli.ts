// `npx concurrent-futures worker ...`: a worker host from the command line. SIGTERM / SIGINT stop
// taking jobs, let running calls finish within --close-grace-ms, hand the rest back, and exit.

import { parseArgs } from 'node:util';
import { redact } from './connection.js';
import {
  signalFromOutside,
  startWorkerHost,
  type ConnectionWatcher,
  type QueueWorker,
} from './worker-host.js';
import { performance } from '../timers.js';

const USAGE = `Usage: concurrent-futures worker --redis URL --queue NAME --allow MODULE [MODULE...] [options]

Runs the calls a QueueExecutor puts in the queue NAME on this machine.

  --redis URL              redis:// or rediss:// URL (default: $REDIS_URL)
  --queue NAME             the queue to take calls from
  --allow MODULE...        modules whose exports this host runs: paths (from the current directory
                           or the project root) or package names; repeat it or list several
  --pool KIND              process (default), thread or event-loop: the local executor
  --workers N              the local executor's maxWorkers, and jobs taken at once
  --root DIR               project root module paths are resolved against
                           (default: nearest directory with a package.json)
  --prefix PREFIX          BullMQ key prefix (default: bull)
  --end-grace-ms MS        how long an ended call may take to stop before its worker is ended
  --close-grace-ms MS      on SIGTERM, how long running calls may take before they go back to the queue
  --lock-duration MS       BullMQ job lock (default 30000): a host silent this long is taken for dead
  --stalled-interval MS    BullMQ stalled-job check interval (default 30000)
  --max-stalled-count N    how often a call may lose its host and run again before it fails (default 1)
`;

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  // Infinity is a number too (a grace without end); whether a flag takes it, its option says.
  if (value.trim() === '' || Number.isNaN(parsed)) {
    throw new TypeError(`${flag} expects a number, got ${JSON.stringify(value)}.`);
  }
  return parsed;
}

/** The flag of each option startQueueWorker() checks, for its messages as the command line's user typed them. */
const FLAG_OF_OPTION: Record<string, string> = {
  connection: '--redis',
  queue: '--queue',
  allow: '--allow',
  pool: '--pool',
  workers: '--workers',
  root: '--root',
  prefix: '--prefix',
  endGraceMs: '--end-grace-ms',
  closeGraceMs: '--close-grace-ms',
  lockDuration: '--lock-duration',
  stalledInterval: '--stalled-interval',
  maxStalledCount: '--max-stalled-count',
};

/** A message of startQueueWorker()'s checks, naming the flags (`--lock-duration`), not the options (`lockDuration`). */
function asFlags(message: string): string {
  return message.replace(/`(\w+)`/g, (whole, name: string) => FLAG_OF_OPTION[name] ?? whole);
}

/** Runs the command line `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (command !== 'worker') {
    process.stderr.write(`Unknown command ${JSON.stringify(command)}.\n\n${USAGE}`);
    return 1;
  }
  let host: QueueWorker | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        redis: { type: 'string' },
        queue: { type: 'string' },
        allow: { type: 'string', multiple: true },
        pool: { type: 'string' },
        workers: { type: 'string' },
        root: { type: 'string' },
        prefix: { type: 'string' },
        'end-grace-ms': { type: 'string' },
        'close-grace-ms': { type: 'string' },
        'lock-duration': { type: 'string' },
        'stalled-interval': { type: 'string' },
        'max-stalled-count': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const redis = values.redis ?? process.env.REDIS_URL;
    if (redis === undefined) throw new TypeError('--redis URL is required (or set REDIS_URL).');
    if (values.queue === undefined) throw new TypeError('--queue NAME is required.');
    // `--allow a.js b.js`: the words after --allow arrive as positionals.
    const allow = [...(values.allow ?? []), ...positionals].flatMap((entry) =>
      entry.split(',').filter((part) => part !== ''),
    );
    if (allow.length === 0) {
      throw new TypeError(
        '--allow MODULE is required: a host runs only exports of the modules it allows.',
      );
    }
    host = await startWorkerHost(
      {
        connection: redis,
        queue: values.queue,
        allow,
        pool: values.pool as 'process' | 'thread' | 'event-loop' | undefined,
        workers: number(values.workers, '--workers'),
        root: values.root,
        prefix: values.prefix,
        endGraceMs: number(values['end-grace-ms'], '--end-grace-ms'),
        closeGraceMs: number(values['close-grace-ms'], '--close-grace-ms'),
        lockDuration: number(values['lock-duration'], '--lock-duration'),
        stalledInterval: number(values['stalled-interval'], '--stalled-interval'),
        maxStalledCount: number(values['max-stalled-count'], '--max-stalled-count'),
      },
      reportConnection(redact(redis), () => host !== undefined),
    );
    process.stdout.write(
      `concurrent-futures worker: queue ${values.queue} on ${redact(redis)}, ${values.pool ?? 'process'} pool, ` +
        `allowing ${allow.join(', ')}. Ready.\n`,
    );
  } catch (error) {
    const login = refusedLogin(error) ? ` ${LOGIN_HINT}` : '';
    process.stderr.write(
      `concurrent-futures worker: ${asFlags(String((error as Error).message))}${login}\n`,
    );
    return 1;
  }
  const started = host;
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      process.stdout.write(`concurrent-futures worker: ${signal}, closing.\n`);
      started.close().then(
        () => resolve(0),
        (error: unknown) => {
          process.stderr.write(`concurrent-futures worker: closing failed: ${String(error)}\n`);
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/** How often a host that cannot reach Redis says so again. */
const UNREACHABLE_REPEAT_MS = 30_000;

/** A refused connection to a dual-stack `localhost` is an AggregateError with an empty message. */
export function reasonOf(error: Error & { code?: unknown }): string {
  if (error.message !== '') return error.message;
  if (typeof error.code === 'string') return error.code;
  const first = (error as Partial<AggregateError>).errors?.[0] as Error | undefined;
  return first?.message || error.name;
}

const LOGIN_HINT =
  'Give the password in --redis as redis://:PASSWORD@HOST:PORT (redis://USER:PASSWORD@HOST:PORT for ' +
  'an ACL user), with characters such as @, : or / percent-encoded.';

/** Redis turned the connection's credentials down (or asked for some). */
function refusedLogin(error: unknown): boolean {
  const message = (error as Error | undefined)?.message;
  return typeof message === 'string' && /^(WRONGPASS|NOAUTH)\b/.test(message);
}

/**
 * Says when Redis cannot be reached (at once, then every 30 s) and when it answers again. A login
 * that Redis refuses while the host starts ends the start, which says so itself: only a refusal
 * once started (a password changed under a running host) is retried, and said here.
 */
function reportConnection(where: string, started: () => boolean): ConnectionWatcher {
  let lastSaid: number | undefined;
  return {
    unreachable(error) {
      const login = refusedLogin(error);
      if (login && !started()) return;
      const now = performance.now();
      if (lastSaid !== undefined && now - lastSaid < UNREACHABLE_REPEAT_MS) return;
      lastSaid = now;
      process.stderr.write(
        login
          ? `concurrent-futures worker: Redis at ${where} refuses this host's login (${reasonOf(error)}); retrying until it accepts it. ${LOGIN_HINT}\n`
          : `concurrent-futures worker: cannot reach Redis at ${where} (${reasonOf(error)}); retrying until it answers.\n`,
      );
    },
    reached() {
      if (lastSaid === undefined) return;
      lastSaid = undefined;
      process.stderr.write(`concurrent-futures worker: Redis at ${where} answers again.\n`);
    },
    poolReplaced(error) {
      const signal = signalFromOutside(error);
      const what =
        signal === undefined
          ? "a call ended one of this host's pool workers"
          : `one of this host's pool workers was killed by ${signal} from outside the host (under systemd, set KillMode=mixed)`;
      process.stderr.write(
        `concurrent-futures worker: ${what}, which broke the pool (${reasonOf(error)}); the calls ` +
          `running on it failed, and a new pool takes the next calls.\n`,
      );
    },
  };
}
