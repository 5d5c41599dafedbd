// The QueueExecutor's link to Redis: the command connection and BullMQ's Queue (made at the first
// submit), the QueueEvents stream the futures settle from, whether Redis is reachable, and what an
// idle executor lets go so that the process may exit.

import type { Queue, QueueEvents } from 'bullmq';
import {
  checkDatabase,
  openConnections,
  watchDatabaseSelect,
  type Connections,
} from './connection.js';
import type { CallJobResult } from './job-data.js';
import { bullmq, type RedisClient } from './peers.js';
import { ignore } from './queue-call.js';
import { clearTimeout, performance, setTimeout } from '../timers.js';

/** How long an idle executor keeps reading the events stream before closing it (see idle()). */
const IDLE_CLOSE_MS = 1000;

/** What the link tells its executor, and asks of it. */
export interface LinkListener {
  /** Calls submitted and not yet settled. */
  outstanding(): number;
  completed(jobId: string, result: CallJobResult): void;
  failed(jobId: string, failedReason: string): void;
  removed(jobId: string): void;
  /** The connection came back after a loss: events may have been missed. */
  reconnected(): void;
}

export class RedisLink {
  #connections: Connections | undefined = undefined;
  #queue: Queue | undefined = undefined;
  #events: QueueEvents | undefined = undefined;
  /** The events stream's own connection: BullMQ never closes a connection it is given. */
  #eventsConnection: RedisClient | undefined = undefined;
  /** Resolves once connected (the client and the Queue exist). */
  #ready: Promise<void> | undefined = undefined;
  /** Resolves once the events stream is being read; undefined while it is closed for idleness. */
  #eventsOpen: Promise<void> | undefined = undefined;
  #eventsClosing: Promise<void> | undefined = undefined;
  #idleTimer: NodeJS.Timeout | undefined = undefined;
  #closed = false;
  /** When Redis was last lost (or, before the first connection, when we started); undefined while connected. */
  #downSince: number | undefined = undefined;
  #everConnected = false;

  constructor(
    private readonly connection: string | RedisClient,
    private readonly queueName: string,
    private readonly prefix: string,
    private readonly listener: LinkListener,
  ) {}

  get connections(): Connections | undefined {
    return this.#connections;
  }

  get queue(): Queue | undefined {
    return this.#queue;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get downSince(): number | undefined {
    return this.#downSince;
  }

  /** Resolves once jobs may be added: connected, and the events stream is being read. */
  start(): Promise<void> {
    this.#ready ??= this.#connect();
    return this.#ready.then(() => (this.#eventsOpen ??= this.#openEvents()));
  }

  async #connect(): Promise<void> {
    const connections = openConnections(this.connection);
    this.#connections = connections;
    const client = connections.client;
    if (client.status !== 'ready') this.#downSince = performance.now();
    else this.#everConnected = true;
    client.on('ready', this.#onReady);
    client.on('close', this.#onDown);
    client.on('connecting', this.#onRetrying);
    client.on('reconnecting', this.#onRetrying);
    client.on('error', ignore); // ioredis reconnects by itself; our watchdog decides when it is gone
    const databaseRefused = watchDatabaseSelect(client, connections.where);
    // BullMQ's Queue writes to Redis as it is made: only once the connection's SELECT is answered
    // (before the PING's reply). A database refused there fails every call, here and later. A PING
    // that fails (a user's client that gives up retrying) leaves a lost connection to the watchdog.
    const reached = await client.ping().then(
      () => true,
      () => false,
    );
    if (reached) await checkDatabase(client, connections.where, databaseRefused);
    if (this.#closed)
      throw new Error('The QueueExecutor was shut down while it connected to Redis.');
    const connection = { connection: client, prefix: this.prefix };
    this.#queue = new bullmq.Queue(this.queueName, connection);
    this.#queue.on('error', ignore);
  }

  async #openEvents(): Promise<void> {
    await this.#eventsClosing; // a stream closed for idleness a moment ago
    const client = this.#connections!.client;
    // Read the events stream from its current end, taken before any job of ours exists, so that no
    // event of ours can come before the reading starts ('$' would start wherever the first read lands).
    const eventsKey = this.#queue!.keys.events!;
    const last = (await client.xrevrange(eventsKey, '+', '-', 'COUNT', 1)) as Array<
      [string, unknown]
    >;
    const lastEventId = last[0]?.[0] ?? '0';
    if (this.#closed) return;
    const eventsConnection = this.#connections!.duplicate();
    eventsConnection.on('error', ignore);
    const events = new bullmq.QueueEvents(this.queueName, {
      connection: eventsConnection,
      prefix: this.prefix,
      lastEventId,
    });
    // A connection error: BullMQ goes on reading by itself. Anything else ends its reading loop for
    // good (an entry that is not JSON, which anyone who can write to Redis can add): read again.
    events.on('error', () => {
      // BullMQ's own flag (private in its types, read only): false once its loop has ended.
      if ((events as unknown as { running?: boolean }).running === false)
        this.#restartEvents(events);
    });
    events.on('completed', ({ jobId, returnvalue }) =>
      this.listener.completed(jobId, returnvalue as unknown as CallJobResult),
    );
    events.on('failed', ({ jobId, failedReason }) => this.listener.failed(jobId, failedReason));
    events.on('removed', ({ jobId }) => this.listener.removed(jobId));
    this.#events = events;
    this.#eventsConnection = eventsConnection;
  }

  /**
   * The events stream stopped being read (its reading loop met an entry it could not parse): open
   * it again from its end, then read the state of every call in Redis, for the events in between.
   * Without this, every later call settled only through the watchdog, `reconcileAfter` late.
   */
  #restartEvents(stopped: QueueEvents): void {
    if (this.#closed || this.#events !== stopped) return;
    const opening = this.#eventsOpen;
    this.#eventsOpen = undefined;
    this.#eventsClosing = (opening ?? Promise.resolve()).then(() => this.#closeEvents());
    if (this.listener.outstanding() === 0) return; // opened again at the next submit
    const reopened = this.#openEvents();
    this.#eventsOpen = reopened;
    reopened.then(
      () => this.listener.reconnected(),
      () => {
        // Redis is away: the next submit opens it again; the watchdog settles the calls meanwhile.
        if (this.#eventsOpen === reopened) this.#eventsOpen = undefined;
      },
    );
  }

  /**
   * An idle executor must not keep the process alive (a script that forgets shutdown() exits once
   * its calls are done). Our command socket can be unref'd, but BullMQ races each blocking read of
   * the events stream against a ref'd timer of its own, so the stream is closed once the executor
   * has been idle for IDLE_CLOSE_MS (not at once: a caller that submits one call after another
   * would pay a reconnect each time), and opened again, from the stream's end, at the next submit.
   */
  idle(idle: boolean): void {
    const connections = this.#connections;
    const stream = connections?.owned
      ? (connections.client as { stream?: { ref?(): void; unref?(): void } }).stream
      : undefined;
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (!idle) {
      stream?.ref?.();
      this.#retryTimer()?.ref?.();
      return;
    }
    stream?.unref?.();
    this.#retryTimer()?.unref?.();
    if (this.#eventsOpen === undefined || this.#closed) return;
    this.#idleTimer = setTimeout(this.#closeEventsIfIdle, IDLE_CLOSE_MS);
    this.#idleTimer.unref();
  }

  readonly #closeEventsIfIdle = (): void => {
    this.#idleTimer = undefined;
    const opening = this.#eventsOpen;
    if (this.listener.outstanding() > 0 || opening === undefined || this.#closed) return;
    this.#eventsOpen = undefined;
    this.#eventsClosing = opening.then(() => this.#closeEvents());
  };

  async #closeEvents(): Promise<void> {
    const events = this.#events;
    const connection = this.#eventsConnection;
    this.#events = undefined;
    this.#eventsConnection = undefined;
    await events?.close().catch(ignore);
    connection?.disconnect(); // BullMQ never closes a connection it is given
  }

  readonly #onReady = (): void => {
    if (this.listener.outstanding() === 0) this.idle(true); // a reconnect made a new, ref'd socket
    const reconnected = this.#everConnected;
    this.#everConnected = true;
    this.#downSince = undefined;
    // Events may have been missed while the connection was down: read every job's state.
    if (reconnected) this.listener.reconnected();
  };

  readonly #onDown = (): void => {
    this.#downSince ??= performance.now();
  };

  /**
   * While Redis cannot be reached, ioredis retries on a timer of its own (and each attempt opens a
   * new socket), which would keep an idle executor's process alive for as long as Redis is away:
   * with nothing pending, both are unref'd as the socket is (see idle()). Emitted once they exist.
   */
  readonly #onRetrying = (): void => {
    if (this.listener.outstanding() === 0 && !this.#closed) this.idle(true);
  };

  /** ioredis's pending reconnect timer, on the client we made (none on one the user gave us). */
  #retryTimer(): NodeJS.Timeout | undefined {
    const connections = this.#connections;
    if (connections?.owned !== true) return undefined;
    // A private field of ioredis (5 and 6), read only: absent, nothing is unref'd, as before.
    const client = connections.client as unknown as { reconnectTimeout?: NodeJS.Timeout | null };
    return client.reconnectTimeout ?? undefined;
  }

  /** Closes the events stream, the Queue and the connection we made; the link is not used again. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    const connections = this.#connections;
    if (connections === undefined) return;
    connections.client.off('ready', this.#onReady);
    connections.client.off('close', this.#onDown);
    connections.client.off('connecting', this.#onRetrying);
    connections.client.off('reconnecting', this.#onRetrying);
    // Not waiting for a stream being opened or closed: with Redis away, that may be never. One
    // being opened sees `closed` when its read of the stream's end returns, and opens nothing.
    await Promise.allSettled([this.#closeEvents(), this.#queue?.close()]);
    if (connections.owned) connections.client.disconnect();
  }
}
