// A shutdown() that waits for calls that can never finish (issue 15 row 8 after the call's first
// await): when the process runs out of work, the wait rejects with an error that says why. Each
// case runs in a fresh process, since running out of work is what it is about.

import { describe, expect, test } from '@jest/globals';
import { runScript } from './support.js';

describe('EventLoopExecutor: a shutdown() that can never end', () => {
  test("a call awaiting its own executor's shutdown() after an await is freed with an error", async () => {
    const { code, stdout, stderr } = await runScript('self-shutdown-after-await.mjs');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const [outcome, innocent, last] = stdout.trim().split('\n');
    expect(outcome).toMatch(/^failed: shutdown\(\) was waiting for .* that can never finish/);
    expect(outcome).toMatch(/shutdown\(\{ wait: false \}\)/);
    expect([innocent, last]).toEqual(['innocent', 'shut down']);
  });

  test('an awaited shutdown() of a call that never settles rejects; an unawaited one stays quiet', async () => {
    const { code, stdout, stderr } = await runScript('stuck-call-shutdown.mjs');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(
      /^rejected: shutdown\(\) was waiting for 1 call of this EventLoopExecutor that can never finish/,
    );
  });

  test('an initializer that never settles: the shutdown() rejects naming it, with or without calls waiting', async () => {
    const { code, stdout, stderr } = await runScript('stuck-initializer-shutdown.mjs');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const [waiting, cancelled] = stdout.trim().split('\n');
    expect(waiting).toMatch(
      /^rejected: shutdown\(\) was waiting for the initializer \(and 1 call behind it\) of this/,
    );
    expect(cancelled).toMatch(/^rejected: shutdown\(\) was waiting for the initializer of this/);
    for (const line of [waiting, cancelled]) {
      expect(line).toMatch(/Its initializer awaits a promise that nothing will settle/);
      expect(line).not.toMatch(/Most likely a call/);
    }
  });

  test('a call awaiting a call of its own executor, all slots held: the rejection names the queued call', async () => {
    const { code, stdout, stderr } = await runScript('inner-call-deadlock.mjs');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(
      /^rejected: shutdown\(\) was waiting for 2 calls of this EventLoopExecutor that can never finish/,
    );
    expect(stdout).toMatch(/1 of them is queued behind running calls that hold every slot/);
    expect(stdout).toMatch(/Raise maxWorkers, or run the inner call on another executor/);
  });

  test('a call that fires shutdown() without awaiting it: the executor stops, and the process is not told of a rejection', async () => {
    const { code, stdout, stderr } = await runScript('unawaited-self-shutdown.mjs');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe(
      'the last call\nrefused: Cannot schedule new calls after shutdown(): this EventLoopExecutor has been shut down\n',
    );
  });

  test("work that the application's own 'beforeExit' hook schedules still settles the call", async () => {
    const { code, stdout, stderr } = await runScript('exit-hook-settles-call.mjs');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe('resolved: call done\n');
  });
});
