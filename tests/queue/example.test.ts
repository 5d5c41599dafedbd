// `npm run example:cluster` end to end, as a user runs it: Redis, two worker hosts, the prime and
// URL jobs through the QueueExecutor, with who ran what.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeWithRedis, projectRoot } from './support.js';

const run = promisify(execFile);

describeWithRedis('the cluster example', () => {
  test("gives the docs' answers, names the hosts that ran them, and fetches the pages", async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'examples/cluster.ts', '--count', '6', '--workers', '1'],
      { cwd: projectRoot, timeout: 50_000 },
    );
    expect(stdout).toMatch(/1099726899285419 is prime: false \(host-[12]\)/);
    expect(stdout.match(/is prime: true/g)).toHaveLength(5);
    expect(stdout).toMatch(/QueueExecutor, 2 hosts: .*x serial; host-\d ran \d/);
    expect(stdout).toMatch(/pages\/1000000 page is 1000000 bytes \(host-[12]\)/);
    expect(stdout).toMatch(/fail generated an exception: Error: HTTP Error 500/);
  }, 60_000);
});
