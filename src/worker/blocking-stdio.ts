// A child's stdout and stderr, when they are pipes, are written asynchronously by Node on POSIX:
// what a call printed and the kernel had not taken yet was dropped when the child exited (the pool
// ends children at shutdown, on maxTasksPerChild and idleTimeout; the parent's exit kills them),
// with a slow reader most of it: 64 of 200 lines in a hunt. Made blocking, every write is in the
// pipe before the call goes on, as a Python worker's print() is, and nothing waits at exit.
//
// Not at start: Node makes process.stdout on first use, and making both streams costs ~5 ms of a
// child's start-up (the first result's latency). So the first read of each stream makes it
// blocking, whoever reads it (console, a call). And a reader that went away ends no child.

import {
  ObjectDefineProperty,
  ObjectGetOwnPropertyDescriptor,
  ReflectApply,
} from './intrinsics.js';

type Blockable = { isTTY?: boolean; _handle?: { setBlocking?: (blocking: boolean) => unknown } };

export function blockStdioWhenMade(): void {
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
        const stream = ReflectApply(makeStream, process, []) as Blockable;
        if (!seen) {
          seen = true;
          // A TTY is written synchronously already; a file stream has no handle to set.
          if (stream?.isTTY !== true) stream?._handle?.setBlocking?.(true);
          (stream as { on?: (event: 'error', listener: (error: unknown) => void) => unknown }).on?.(
            'error',
            ignoreBrokenPipe,
          );
        }
        return stream;
      },
      ...(descriptor.set !== undefined && { set: descriptor.set }),
    });
  }
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
