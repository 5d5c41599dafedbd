// The environment every sample runs with: the runner's own, the same for every library, less the
// variables that would measure this machine's set-up rather than the libraries.
//
// NODE_EXTRA_CA_CERTS makes Node 20 read and parse that certificate file at every process's boot
// (~45 ms with the system bundle: `node -e` 60-68 ms with it, ~17 ms without). Pools differ in
// what environment they give their children: ours, workerpool's and poolifier's pass the parent's
// (as Python's does), tinypool's child_process passes none at all (only TINYPOOL_WORKER_ID). Left
// in, it would make every pool that passes its environment on look ~45 ms slower per child than
// one that does not, on a machine that sets it, and not on one that does not.

/** Variables removed from every sample's environment, and why (shown in the report's header). */
export const REMOVED_FROM_SAMPLES: Readonly<Record<string, string>> = {
  NODE_OPTIONS: 'a loader or flag meant for the runner must not reach the samples or their workers',
  NODE_EXTRA_CA_CERTS:
    'Node 20 parses the file it names at every process start (~45 ms with a system CA bundle); ' +
    'pools that pass their environment on to their children would pay it per child and tinypool, ' +
    'whose children get no environment, would not: a comparison of environments, not of libraries',
};

/** What the results record: the variables removed that were set when the run started. */
export interface SampleEnvironment {
  removed: string[];
  why: Record<string, string>;
}

export function sampleEnvironment(): { env: NodeJS.ProcessEnv; recorded: SampleEnvironment } {
  const env = { ...process.env };
  const removed: string[] = [];
  const why: Record<string, string> = {};
  for (const [name, reason] of Object.entries(REMOVED_FROM_SAMPLES)) {
    if (env[name] === undefined) continue;
    delete env[name];
    removed.push(name);
    why[name] = reason;
  }
  return { env, recorded: { removed, why } };
}
