// One child process as the pool sees it. A call handed to a child counts as running from the
// moment it is sent, as in Python's process pool: nothing shares memory with a child, so nothing
// could stop it from starting the call.

import { fork, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Socket } from 'node:net';
import { CHANNEL_FD, FrameReader, encodeFrame, newFrameKey } from '../protocol/frames.js';
import type { CallableDef, FromWorker, ToWorker } from '../protocol/messages.js';
import type { Call } from '../pool/call.js';
import { PoolWorker, type PoolWorkerEvents } from '../pool/pool-worker.js';
import { GUARD_FD } from '../worker/parent-guard.js';
import { workerEntry } from '../pool/worker-entry.js';

// The child's entry bundled into one CommonJS file (scripts/build.mjs), started by both builds: it
// loads without the ESM loader, ~10 ms sooner to the first result than the ESM build's seven modules
// (docs/design.md, "Start-up").
export const ENTRY = workerEntry('../cjs/worker/process-entry.js', import.meta.url);

// No stdin (as Python gives its children os.devnull: a call that reads stdin would take the
// parent's input), the parent's stdout and stderr; Node's IPC channel (fork() needs one; the pool does not
// use it); at fd GUARD_FD, except on Windows, the socket of the child's guard shell, whose other
// end only this process holds, so that the guard sees EOF once this process is gone
// (src/worker/parent-guard.ts); and at CHANNEL_FD the pool's own channel (protocol/frames.ts).
const STDIO: StdioOptions = [
  'ignore',
  'inherit',
  'inherit',
  'ipc',
  process.platform === 'win32' ? 'ignore' : 'pipe',
  'pipe',
];
if (STDIO.length !== CHANNEL_FD + 1 || GUARD_FD !== 4) throw new Error('stdio layout out of date');

export interface ProcessWorkerOptions {
  execArgv: string[];
  env: NodeJS.ProcessEnv;
}

export class ProcessWorker extends PoolWorker {
  readonly id: number;
  readonly #child: ChildProcess;
  readonly #channel: Socket;
  #error: unknown = undefined;
  #exitReported = false;

  constructor(
    initializer: CallableDef | undefined,
    initargs: unknown[],
    options: ProcessWorkerOptions,
    events: PoolWorkerEvents,
  ) {
    super();
    const frameKey = newFrameKey(); // before fork(): nothing after it may throw and leave the child
    this.#child = fork(ENTRY!, [], {
      // The IPC channel carries only what calls send with process.send(), which nobody reads: JSON,
      // so that nothing a call sends can throw in this process's channel parser.
      serialization: 'json',
      execArgv: options.execArgv,
      env: options.env,
      stdio: STDIO,
    });
    this.id = this.#child.pid ?? -1;
    killAtExit(this.#child);
    // Never read or written. It must not keep this process alive, and it is let go once the child
    // has exited, so that the child's guard shell ends too.
    const guard = this.#child.stdio[GUARD_FD] as unknown as
      | { unref(): void; destroy(): void; on(event: 'error', listener: () => void): void }
      | null
      | undefined;
    if (guard) {
      guard.unref();
      guard.on('error', () => undefined);
      this.#child.once('exit', () => guard.destroy());
    }
    const reportExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (this.#exitReported) return;
      this.#exitReported = true;
      events.exit(this, { code, signal, error: this.#error });
    };
    (this.#child.channel as { unref?: () => void } | null | undefined)?.unref?.();
    this.#channel = (this.#child.stdio as unknown as Socket[])[CHANNEL_FD]!;
    // A frame that cannot be read back here: only its own calls fail (see resync()). Only frames
    // with this child's key are read: a call in the child can write to the pipe too (frames.ts).
    const reader = new FrameReader(
      (message) => this.deliver(events, message as FromWorker),
      () => this.resend(),
      frameKey,
    );
    this.#channel.on('data', (chunk: Buffer) => reader.push(chunk));
    this.#channel.on('error', () => undefined); // the child is gone: its exit follows
    // The exit is reported once the child has exited AND its channel has closed: its last frames
    // ('done' for the calls that finished) are read before the exit fails whatever is left.
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let channelClosed = false;
    this.#channel.once('close', () => {
      channelClosed = true;
      if (exited !== undefined) reportExit(exited.code, exited.signal);
    });
    this.#child.on('exit', (code, signal) => {
      exited = { code, signal };
      this.#channel.ref(); // its 'close' must still be seen
      if (channelClosed) reportExit(code, signal);
    });
    this.#child.on('error', (error) => {
      // A child that could not be spawned never exits; one whose channel closed exits on its own.
      this.#error = error;
      if (this.#child.pid === undefined) reportExit(null, null);
    });
    try {
      this.post({ t: 'init', init: { initializer, initargs, startFlags: undefined, frameKey } });
    } catch (error) {
      // The child is already running: it must not be left behind by a pool that cannot use it.
      this.#child.kill('SIGKILL');
      throw error;
    }
  }

  post(message: ToWorker): void {
    this.stampAck(message);
    const frame = encodeFrame(message); // throws, before anything is written, if a value cannot travel
    if (this.#channel.destroyed || !this.#channel.writable) return; // exiting: its exit event accounts for the calls
    this.#channel.write(frame);
  }

  prepareStart(): void {}

  handedOver(call: Call): void {
    call.future.setRunningOrNotifyCancel();
  }

  hasStarted(): boolean {
    return true;
  }

  preventStart(): boolean {
    return false;
  }

  end(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.advance('ending');
    this.#child.kill(signal);
  }

  // Called at every batch sent and every worker falling idle: only a change reaches Node (a
  // socket's ref() and unref() are calls into C++, a real share of a limited call's cost).
  #refed = true;

  ref(): void {
    if (this.#refed) return;
    this.#refed = true;
    this.#child.ref();
    this.#channel.ref();
  }

  unref(): void {
    if (!this.#refed) return;
    this.#refed = false;
    this.#child.unref();
    this.#channel.unref();
  }
}

/**
 * The children alive, killed when this process (or the worker thread that owns their pool) exits.
 * A child leaves at the end of its channel by itself, and its guard shell kills it if it cannot;
 * but both are set up by the child's entry, which a child never reaches when something before it
 * blocks (`execArgv: ['--inspect-brk']`, which waits for a debugger; a `--require` preload that
 * hangs): such a child outlived a parent that called process.exit() or threw.
 */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAtExit(child: ChildProcess): void {
  if (child.pid === undefined) return; // never started
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const alive of liveChildren) {
      try {
        alive.kill('SIGKILL');
      } catch {
        // Gone already.
      }
    }
  });
}
