// Makes sure a child process of a ProcessPoolExecutor never outlives the pool's process, even
// while a call holds the child's only thread in a synchronous loop (the child then never sees the
// pool's channel end, and would run on as an orphan).
//
// Where there is a POSIX shell, a guard shell does it: the parent gives the child one more socket
// (fd GUARD_FD) of which only the parent holds the other end; the child hands it to `/bin/sh` as
// stdin and closes its own copy. The shell blocks in `read` until EOF, which comes when the parent
// exits, crashes or is killed, or lets go of the socket once the child has exited. Then, if the
// child is still the shell's parent (so alive, and that very process, not a reused pid), the
// shell kills it. A sleeping shell costs about 1 MB and no CPU.
//
// Elsewhere (Windows, no /bin/sh) a watchdog thread polls the parent instead: its ppid (POSIX), and
// whether that pid is still alive (Windows, where the ppid never changes). It was the only
// guard before: a worker thread takes about 65 ms of CPU to start and 13 MiB of memory, which on
// two cores slowed the children's first CPU-bound calls by ~6% and showed in every child's memory.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';

/** The child's fd of the socket whose other end only the parent holds (see process-worker.ts). */
export const GUARD_FD = 4;

const SHELL = '/bin/sh';

// $1: the pid of the child process that started this shell. PPid comes from /proc where there is
// one (slim containers have no `ps`), else from `ps`. INT, HUP, QUIT and TERM are ignored so that a
// signal to the whole process group (Ctrl+C, a closed terminal, a supervisor's `kill -TERM -pgid`)
// cannot take the guard first: a call that handles SIGTERM would then outlive its parent.
const GUARD_SCRIPT = `trap '' INT HUP QUIT TERM
while read -r _; do :; done
ppid=
if [ -r /proc/$$/status ]; then
  while read -r key value; do [ "$key" = PPid: ] && ppid=$value; done < /proc/$$/status
else
  ppid=$(ps -o ppid= -p $$ 2>/dev/null)
  ppid=\${ppid##* }
fi
[ "$ppid" = "$1" ] && kill -9 "$1"
exit 0`;

/** Starts the guard: the shell when the parent gave the socket and there is a shell, else the thread. */
export function guardAgainstOrphaning(): void {
  if (process.platform !== 'win32' && isSocket(GUARD_FD)) {
    if (existsSync(SHELL) && startGuardShell()) return;
    closeSync(GUARD_FD); // unused: not left to the calls run here
  }
  startWatchdogThread();
}

/** False if the shell could not be spawned; then the socket is still ours to close. */
function startGuardShell(): boolean {
  let shell: ChildProcess;
  try {
    const args = ['-c', GUARD_SCRIPT, 'concurrent-futures-guard', `${process.pid}`];
    shell = spawn(SHELL, args, { stdio: [GUARD_FD, 'ignore', 'ignore'] });
  } catch {
    return false;
  }
  shell.unref();
  shell.on('error', startWatchdogThread); // it could not start after all
  closeSync(GUARD_FD); // the shell has its own copy; the calls run here must not find ours
  return true;
}

function isSocket(fd: number): boolean {
  try {
    return fstatSync(fd).isSocket();
  } catch {
    return false;
  } finally {
    // Node 20's fs.realpathSync, which ESM resolution runs, reads the mode of the last stat this
    // thread made when a path's first parts are cached, and stops at a socket. Left as the guard
    // socket's, a package reached through a symlink (pnpm, npm link) resolved to the link, not its
    // real path, and its own imports broke (p-queue: "Class extends value #<Object>"). A directory's
    // mode is left instead.
    try {
      statSync('/');
    } catch {
      // No root to stat (not POSIX): this guard is not used there.
    }
  }
}

let watchdog: Worker | undefined;

function startWatchdogThread(): void {
  if (watchdog !== undefined) return;
  // A thread is not held up by a call on the main thread: it checks that the parent is still
  // ours, and otherwise kills this process.
  // On POSIX an orphan is re-parented, so its ppid changes. On Windows the ppid never changes: ask
  // whether that pid still names a live process (libuv answers signal 0 there from the exit code).
  // A pid reused within the 500 ms defeats it; the pool channel's end remains the fallback.
  // Loaded only here: most children never start this thread, and node:worker_threads would cost
  // every child ~0.5 ms of start-up (getBuiltinModule: synchronous, and the same in both builds).
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  watchdog = new Worker(
    `const { workerData: parent } = require('node:worker_threads');
     const gone = () => {
       if (process.ppid !== parent) return true;
       try { process.kill(parent, 0); return false; } catch (error) { return error.code === 'ESRCH'; }
     };
     setInterval(() => { if (gone()) process.kill(process.pid, 'SIGKILL'); }, 500);`,
    { eval: true, workerData: process.ppid, stdout: false, stderr: false },
  );
  watchdog.unref();
}
