#!/usr/bin/env node
// `npx concurrent-futures worker ...`: see `concurrent-futures --help`.
let main;
try {
  ({ main } = await import('../dist/queue/cli.js'));
} catch (error) {
  // Most often: bullmq or ioredis not installed; the message says what to install.
  process.stderr.write(`concurrent-futures: ${error.message}\n`);
  process.exit(1);
}
process.exit(await main(process.argv.slice(2)));
