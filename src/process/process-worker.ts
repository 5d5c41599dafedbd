// One child process as the pool sees it. A call handed to a child counts as running from the
// moment it is sent, as in Python's process pool: nothing shares memory with a child, so nothing
// could stop it from starting the call.

import { fork, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CallableDef, FromWorker, ToWorker } from '../protocol/messages.js';
import type { Call } from '../pool/call.js';
import { PoolWorker, type PoolWorkerEvents } from '../pool/pool-worker.js';
import { GUARD_FD } from '../worker/parent-guard.js';

const ENTRY = fileURLToPath(new URL('../worker/process-entry.js', import.meta.url));

// The parent's stdin, stdout and stderr; the IPC channel; and, except on Windows, at fd GUARD_FD
// the socket of the child's guard shell, whose other end only this process holds, so that the
// guard sees EOF once this process is gone (src/worker/parent-guard.ts).
const STDIO: StdioOptions =
  process.platform === 'win32'
    ? ['inherit', 'inherit', 'inherit', 'ipc']
    : ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'];

export interface ProcessWorkerOptions {
  execArgv: string[];
  env: NodeJS.ProcessEnv;
}

export class ProcessWorker extends PoolWorker {
  readonly id: number;
  readonly #child: ChildProcess;
  #error: unknown = undefined;
  #exitReported = false;

  constructor(
    initializer: CallableDef | undefined,
    initargs: unknown[],
    options: ProcessWorkerOptions,
    events: PoolWorkerEvents,
  ) {
    super();
    this.#child = fork(ENTRY, [], {
      serialization: 'advanced', // BigInt, Map, Set, Date, typed arrays and errors travel
      execArgv: options.execArgv,
      env: options.env,
      stdio: STDIO,
    });
    this.id = this.#child.pid ?? -1;
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
    this.#child.on('message', (message: FromWorker) => events.message(this, message));
    this.#child.on('exit', reportExit);
    this.#child.on('error', (error) => {
      // A child that could not be spawned never exits; one whose channel closed exits on its own.
      this.#error = error;
      if (this.#child.pid === undefined) reportExit(null, null);
    });
    this.post({ t: 'init', init: { initializer, initargs, startFlags: undefined } });
  }

  post(message: ToWorker): void {
    if (!this.#child.connected) return; // exiting: its exit event accounts for the calls it held
    this.#child.send(message);
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

  ref(): void {
    this.#child.ref();
    (this.#child.channel as { ref?: () => void } | null | undefined)?.ref?.();
  }

  unref(): void {
    this.#child.unref();
    (this.#child.channel as { unref?: () => void } | null | undefined)?.unref?.();
  }
}
