// Redis connections from the `connection` option: a URL, or the user's own ioredis client (used,
// duplicated for what needs a connection of its own, and never closed by us).

import { describe } from '../validate.js';
import { Redis, type RedisClient } from './peers.js';

export interface Connections {
  /** Commands: adding jobs, reading their state, publishing cancels. */
  client: RedisClient;
  /** True when we made `client` (so we close it). */
  owned: boolean;
  /** A new connection to the same server, for BullMQ's blocking reads or a subscriber. */
  duplicate(): RedisClient;
  /** Where Redis is, for messages (no password). */
  where: string;
}

export function checkConnection(value: unknown): string | RedisClient {
  if (typeof value === 'string') {
    if (!/^rediss?:\/\//.test(value)) {
      throw new TypeError(
        `Expected \`connection\` to be a redis:// or rediss:// URL or an ioredis client, got ${JSON.stringify(redact(value))}.`,
      );
    }
    // ioredis would say only "Invalid URL", at the first connection.
    if (!URL.canParse(value)) {
      throw new TypeError(
        `\`connection\` ${JSON.stringify(redact(value))} is not a valid URL: the port must be 0–65535 ` +
          'and characters such as @, :, / or # in a user name or password must be percent-encoded ' +
          '(encodeURIComponent).',
      );
    }
    return value;
  }
  if (value instanceof Redis) return value;
  throw new TypeError(
    `Expected \`connection\` to be a redis:// or rediss:// URL or an ioredis client, got ${describe(value)}.`,
  );
}

export function openConnections(connection: string | RedisClient): Connections {
  // maxRetriesPerRequest: null is what BullMQ asks of its connections: a command waits for a
  // reconnect instead of failing after 20 tries; our own timer decides when Redis is gone.
  if (typeof connection === 'string') {
    const options = { maxRetriesPerRequest: null, lazyConnect: false };
    return {
      client: new Redis(connection, options),
      owned: true,
      duplicate: () => new Redis(connection, options),
      where: redact(connection),
    };
  }
  return {
    client: connection,
    owned: false,
    duplicate: () => connection.duplicate({ maxRetriesPerRequest: null }),
    where: `${connection.options.host ?? 'localhost'}:${connection.options.port ?? 6379}`,
  };
}

/** A URL without its password (also one that does not parse, as far as it can be read). */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    // Everything between the first colon after `//` and the last `@` may be the password.
    return url.replace(/^([a-z]+:\/\/[^:/@]*:).*@/i, '$1***@');
  }
}

/**
 * Watches `client` for a SELECT that Redis refused: a URL naming a database the server does not have
 * (redis://host:6379/20 where `databases` is 16). ioredis reports it only as an 'error' event and
 * goes on in database 0, where jobs would be added, and taken, unseen by anyone on the database the
 * URL names. The handshake's SELECT is answered before any command of ours, so once one of ours has
 * its reply, the function returned tells whether the database was refused (the error to throw).
 */
export function watchDatabaseSelect(client: RedisClient, where: string): () => Error | undefined {
  let refused: Error | undefined;
  client.on('error', (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (refused !== undefined || !/DB index is out of range|invalid DB index/i.test(message))
      return;
    refused = new Error(
      `Redis at ${where} refused database ${String(client.options.db)} ("${message}"): a server numbers ` +
        'its databases from 0 to one less than its `databases` setting (16 by default). Name one of ' +
        "those in the URL (redis://host:6379/0), or raise `databases` in the server's configuration.",
      { cause: error },
    );
  });
  return () => refused;
}

/**
 * Throws if `client` is not on the database its options name: its SELECT was refused (reported by
 * `refused`, from watchDatabaseSelect) or failed unseen (a client the user connected before handing
 * it over, whose 'error' came before anyone listened; a server that forbids SELECT). Asked of the
 * server itself with CLIENT INFO (Redis 6.2 and later); an older server leaves `refused` alone to say.
 */
export async function checkDatabase(
  client: RedisClient,
  where: string,
  refused: () => Error | undefined,
): Promise<void> {
  const wanted = Number(client.options.db ?? 0);
  let current: number | undefined;
  try {
    const info = String(await client.call('CLIENT', 'INFO'));
    const db = /(?:^|\s)db=(\d+)/.exec(info)?.[1];
    if (db !== undefined) current = Number(db);
  } catch {
    // An older server, or CLIENT renamed away: only the SELECT's own error can tell.
  }
  const error = refused();
  if (error !== undefined) throw error;
  if (current !== undefined && current !== wanted) {
    throw new Error(
      `The connection to Redis at ${where} is on database ${current}, not on database ${wanted} as ` +
        'its options say: the SELECT failed (a database the server does not have, or a server that ' +
        'refuses SELECT, as managed and cluster servers do). Name a database the server has (0 where ' +
        'SELECT is refused), the same on the producers and the hosts.',
    );
  }
}
