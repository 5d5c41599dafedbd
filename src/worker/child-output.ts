// What a call prints in a child process must reach the parent's stdout whole, however the child
// ends. Node writes a child's stdout and stderr to a pipe asynchronously on POSIX, and a child that
// exited (the pool ends children at shutdown, on maxTasksPerChild and idleTimeout) dropped what the
// kernel had not taken yet: with a reader that starts late, 64 of 200 lines arrived in a hunt. So a
// child that is asked to exit first waits, a bounded time, until both streams have written
// everything. (Making the pipe blocking instead would clear O_NONBLOCK on the description the child
// shares with its parent, and a slow reader of the parent's logs would then stall the parent's own
// event loop.)
//
// The streams are watched from their first use, not made at start: Node makes process.stdout on
// first use, and making both costs ~5 ms of a child's start-up (the first result's latency).

import {
  ObjectDefineProperty,
  ObjectGetOwnPropertyDescriptor,
  ReflectApply,
  exitWorker,
  setTimer,
} from './intrinsics.js';

/** How long a child asked to exit waits for its stdout and stderr to be written (a reader may stall). */
const OUTPUT_WAIT_MS = 5000;

interface OutputStream {
  writableLength?: number;
  on?: (event: 'error', listener: (error: unknown) => void) => unknown;
}

const madeStreams: OutputStream[] = [];
const dateNow = Date.now; // a call may replace Date.now

/** Watches process.stdout and process.stderr from their first use (see above). */
export function watchOutputWhenMade(): void {
  for (const name of ['stdout', 'stderr'] as const) {
    const descriptor = ObjectGetOwnPropertyDescriptor(process, name);
    const makeStream = descriptor?.get;
    if (descriptor === undefined || makeStream === undefined || descriptor.configurable !== true)
      continue;
    let seen = false;
    ObjectDefineProperty(process, name, {
      configurable: true,
      enumerable: descriptor.enumerable ?? false,
      get(): unknown {
        const stream = ReflectApply(makeStream, process, []) as OutputStream;
        if (!seen && stream !== null && typeof stream === 'object') {
          seen = true;
          madeStreams.push(stream);
          stream.on?.('error', ignoreBrokenPipe);
        }
        return stream;
      },
      ...(descriptor.set !== undefined && { set: descriptor.set }),
    });
  }
}

/** Exits with `code` once everything printed is written (or OUTPUT_WAIT_MS has passed). */
export function exitAfterOutput(code: number): void {
  const until = dateNow() + OUTPUT_WAIT_MS;
  const check = (): void => {
    let pending = false;
    for (let i = 0; i < madeStreams.length; i++)
      if ((madeStreams[i]!.writableLength ?? 0) > 0) pending = true;
    if (!pending || dateNow() >= until) exitWorker(code);
    else setTimer(check, 5);
  };
  check();
}

/**
 * A reader that went away (`node app.js | head`): each write after it fails with EPIPE, emitted as
 * an 'error' that, unheard, ended the child and broke the pool (191 of 200 calls failed). What is
 * printed then has nowhere to go, and the calls go on, as a plain script's would until it exits.
 * Any other error of the stream is thrown as before.
 */
function ignoreBrokenPipe(error: unknown): void {
  if ((error as { code?: unknown } | null)?.code !== 'EPIPE') throw error;
}
