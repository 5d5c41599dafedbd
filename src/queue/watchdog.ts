// The QueueExecutor's watchdog: one timer, running while calls are outstanding, that
//   - fails every pending call once Redis has been unreachable for `unreachableTimeout`: its
//     connection lost, or open and silent (a frozen server, a partition whose packets are dropped:
//     the socket then errors only when TCP gives up, about 15 minutes on Linux). A PING on each
//     watch while connected, one at a time, tells the second kind: unanswered that long, it counts
//     as unreachable from when it was sent; and
//   - reconciles: a call in Redis not heard of for `reconcileAfter` (its event may have been
//     missed: the stream is trimmed, a connection drops), and every call after a reconnect, has its
//     job read; a finished job settles its call, and a job gone missing (Redis restarted without
//     it) is added again from the data the call still holds.
//   A job is read by the few fields that say how it ended, never whole: a call waiting or running
//   long is quiet, and reading its arguments (up to megabytes) every `reconcileAfter` made Redis
//   send 200 MB in 20 s for 50 waiting calls of 1 MB.

import type { Queue } from 'bullmq';
import { JOB_NAME, type CallJobResult } from './job-data.js';
import type { RedisClient } from './peers.js';
import { withKeepOptions, type QueueCall } from './queue-call.js';
import { clearInterval, performance, setInterval } from '../timers.js';

/** What the watchdog reads of its executor, and how it settles calls there. */
export interface WatchedExecutor {
  /** The calls whose jobs are in Redis, by job id. */
  readonly inRedis: ReadonlyMap<string, QueueCall>;
  /** The BullMQ queue, once connected. */
  queue(): Queue | undefined;
  /** The executor's command connection, once connected. */
  client(): RedisClient | undefined;
  /** When Redis was lost (or, before the first connection, when the executor started); undefined while connected. */
  downSince(): number | undefined;
  completed(jobId: string, result: CallJobResult): void;
  failed(jobId: string, failedReason: string): void;
  /** Redis has been unreachable for `downFor` ms (`silent`: connected, but not answering): fail every pending call. */
  unreachable(downFor: number, silent: boolean): void;
}

export class Watchdog {
  #timer: NodeJS.Timeout | undefined = undefined;
  #reconciling = false;
  /** When the PING still unanswered was sent; undefined when none is. */
  #pingSentAt: number | undefined = undefined;
  /** Which PING counts: one sent before a lost connection is abandoned, and its late answer ignored. */
  #pingGeneration = 0;

  constructor(
    private readonly executor: WatchedExecutor,
    private readonly unreachableTimeout: number,
    private readonly reconcileAfter: number,
  ) {}

  start(): void {
    if (this.#timer !== undefined) return;
    const every = Math.max(
      50,
      Math.min(1000, this.unreachableTimeout / 4, this.reconcileAfter / 2),
    );
    this.#timer = setInterval(this.#watch, every);
  }

  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  readonly #watch = (): void => {
    const now = performance.now();
    const downSince = this.executor.downSince();
    if (downSince !== undefined && this.#pingSentAt !== undefined) {
      // The connection was lost: that outage counts from downSince, not from a PING sent before it
      // (ioredis sends it again once reconnected, and its answer would come late).
      this.#pingSentAt = undefined;
      this.#pingGeneration++;
    }
    if (downSince !== undefined && now - downSince >= this.unreachableTimeout) {
      this.executor.unreachable(now - downSince, false);
      return;
    }
    if (downSince === undefined) {
      const pingSentAt = this.#pingSentAt;
      if (pingSentAt === undefined) this.#ping(now);
      else if (now - pingSentAt >= this.unreachableTimeout) {
        this.executor.unreachable(now - pingSentAt, true);
        return;
      }
    }
    if (downSince !== undefined || this.#reconciling) return;
    const quiet: QueueCall[] = [];
    for (const call of this.executor.inRedis.values()) {
      if (now - call.heardAt >= this.reconcileAfter) quiet.push(call);
    }
    if (quiet.length > 0) void this.reconcile(quiet);
  };

  #ping(now: number): void {
    const client = this.executor.client();
    if (client === undefined) return;
    this.#pingSentAt = now;
    const generation = ++this.#pingGeneration;
    const answered = (): void => {
      if (generation === this.#pingGeneration) this.#pingSentAt = undefined;
    };
    // A rejection is a lost connection, which its 'close' reports: the next watch pings again.
    client.ping().then(answered, answered);
  }

  /** Reads the state of the calls' jobs, settles those that finished, and adds again those that are gone. */
  async reconcile(calls: QueueCall[]): Promise<void> {
    const queue = this.executor.queue();
    const client = this.executor.client();
    if (queue === undefined || client === undefined || this.#reconciling) return;
    this.#reconciling = true;
    const inRedis = this.executor.inRedis;
    try {
      const missing: QueueCall[] = [];
      for (let start = 0; start < calls.length; start += 100) {
        const batch = calls.slice(start, start + 100);
        const ends = await readEnds(client, queue, batch);
        const now = performance.now();
        batch.forEach((call, index) => {
          if (inRedis.get(call.id!) !== call) return; // settled meanwhile
          const end = ends[index]!;
          call.heardAt = now;
          if (end === 'missing') missing.push(call);
          else if (end === 'unfinished') return;
          else if (end.failedReason !== undefined) this.executor.failed(call.id!, end.failedReason);
          else this.executor.completed(call.id!, end.returnvalue as CallJobResult);
        });
      }
      if (missing.length > 0) {
        await queue.addBulk(
          missing.map((call) =>
            withKeepOptions({ name: JOB_NAME, data: call.data!, opts: { jobId: call.id! } }),
          ),
        );
      }
    } catch {
      // Redis went away again: the next reconnect or the next watch tries again.
    } finally {
      this.#reconciling = false;
    }
  }
}

type JobEnd = 'missing' | 'unfinished' | { failedReason: string | undefined; returnvalue: unknown };

/**
 * How each call's job stands, from four fields of its hash (one pipeline): `name` says it exists
 * (every job has one), `finishedOn` that it ended, and `failedReason` or `returnvalue` how.
 */
async function readEnds(client: RedisClient, queue: Queue, calls: QueueCall[]): Promise<JobEnd[]> {
  const pipeline = client.pipeline();
  for (const call of calls)
    pipeline.hmget(queue.toKey(call.id!), 'name', 'finishedOn', 'failedReason', 'returnvalue');
  const replies = (await pipeline.exec()) ?? [];
  return calls.map((_, index) => {
    const [error, fields] = replies[index] ?? [new Error('no reply')];
    if (error) throw error; // Redis went away: the next reconnect or watch tries again
    const [name, finishedOn, failedReason, returnvalue] = fields as Array<string | null>;
    if (name === null || name === undefined) return 'missing';
    if (!finishedOn) return 'unfinished';
    if (failedReason) return { failedReason, returnvalue: undefined };
    return { failedReason: undefined, returnvalue: parseReturnValue(returnvalue) };
  });
}

/** BullMQ stores a job's return value as JSON; one that does not parse reads as none. */
function parseReturnValue(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
