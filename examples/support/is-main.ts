// Python's `if __name__ == '__main__':` for an ES module. A module that workers import (through
// fromModule) or that another module imports (main.ts, the tests) must not start its job again:
// only the module Node was asked to run does. Inside a worker of our pools, process.argv[1] is the
// pool's own entry file, so the check is false there too.

import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** True when the module whose `import.meta.url` is given is the script Node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  let path = script;
  try {
    path = realpathSync(script); // import.meta.url names the real file, not a symlink to it
  } catch {
    // A script Node resolved by itself (no extension given): compare the path as written.
  }
  return moduleUrl === pathToFileURL(path).href;
}
