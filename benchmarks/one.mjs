// One sample: one workload on one library, in this fresh process, printed as one JSON line.
//
//   node benchmarks/one.mjs <workload> <library> <workers>
//
// benchmarks/run.ts spawns this once per sample so that no library's leftovers (threads, children,
// a heap grown by the previous run) can slow the next. It is plain JavaScript on plain node on
// purpose: worker threads inherit the parent's execArgv, so a sample run through a TypeScript
// loader would load that loader into every worker of every library and skew latency and memory.

import { LIBRARIES, Skip } from './sample/libraries.mjs';
import { WORKLOADS } from './sample/workloads.mjs';

const [workload, library, workersArg] = process.argv.slice(2);
const workers = Number(workersArg);

function print(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`); // a pipe: written synchronously on Linux
}

let line;
try {
  const measure = WORKLOADS[workload];
  if (!measure)
    throw new Error(`unknown workload ${workload}; one of ${Object.keys(WORKLOADS).join(', ')}`);
  const adapter = library === 'serial' ? undefined : LIBRARIES[library];
  if (library !== 'serial' && !adapter)
    throw new Error(`unknown library ${library}; one of ${Object.keys(LIBRARIES).join(', ')}`);
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error(`workers must be a positive integer, got ${workersArg}`);
  line = await measure(adapter, workers);
} catch (error) {
  line =
    error instanceof Skip
      ? { skip: error.message }
      : { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}
print(line);
// A pool that keeps the process alive after close() is not what is measured here: leave now.
process.exit(0);
