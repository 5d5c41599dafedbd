// The queue's third-party engines, loaded here and only here: the rest of the package never
// imports bullmq or ioredis, so users of the local pools never install them. They are optional
// peer dependencies, so a missing one must fail with what to install, not Node's bare
// ERR_MODULE_NOT_FOUND.

import { createRequire } from 'node:module';
import type * as BullMQ from 'bullmq';
import type * as IORedisModule from 'ioredis';

// Loaded with require(), not import(): both peers ship CommonJS, and a synchronous load keeps this
// entry free of top-level await, which the CommonJS build of the package cannot contain.
const requirePeer = createRequire(import.meta.url);

function loadPeer<T>(name: string): T {
  try {
    return requirePeer(name) as T;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(
        `concurrent-futures/queue needs the optional peer dependencies bullmq (6.x) and ioredis, ` +
          `and ${name} is not installed. Install them with: npm install bullmq@6 ioredis`,
        { cause: error },
      );
    }
    throw error;
  }
}

// The specifiers are held in variables so that TypeScript keeps the imports dynamic, not bundled
// into the types of the rest of the package.
const bullmqName = 'bullmq';
const ioredisName = 'ioredis';

export const bullmq: typeof BullMQ = loadPeer<typeof BullMQ>(bullmqName);
const ioredisModule = loadPeer<typeof IORedisModule>(ioredisName);

/** ioredis's client class (its default export, also named `Redis`). */
export const Redis: typeof IORedisModule.Redis =
  ioredisModule.Redis ??
  (ioredisModule as unknown as { default: typeof IORedisModule.Redis }).default;

export type RedisClient = IORedisModule.Redis;
