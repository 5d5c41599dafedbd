// Helpers of the EventLoopExecutor's suites: a promise to hold a call running, a turn of the event
// loop, a fixture script run in a fresh process, and the unhandled rejections of a block.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A promise with its resolve function outside, to hold a call running until the test lets it go. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Lets every queued microtask and the p-queue jobs they start run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function runScript(
  name: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  return new Promise((resolve) => {
    // The timeout only bounds a hang; the assertion is that the script exits by itself with code 0.
    execFile(
      process.execPath,
      [script],
      { cwd: repoRoot, timeout: 20_000 },
      (error, stdout, stderr) => {
        const failure = error as
          (Error & { code?: number | string; signal?: NodeJS.Signals | null }) | null;
        resolve({
          code: failure === null ? 0 : typeof failure.code === 'number' ? failure.code : null,
          signal: failure?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
  });
}

/** Runs `body`, then lets timers run for `quietMs`, and returns every unhandled rejection seen meanwhile. */
export async function unhandledRejectionsOf(
  body: () => Promise<void>,
  quietMs = 0,
): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void seen.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await body();
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    await settle();
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  return seen;
}
