// The pool as a whole `node` program sees it, with a parent process spawned by the test
// (tests/fixtures/process-parent.mjs): idle children never keep the parent alive and busy ones do,
// children never outlive their parent (even SIGKILLed, even with a child stuck in a loop), the
// children's output reaches the parent's, and a parent run through tsx gives its children the
// same loader.

import { join } from 'node:path';
import { FIXTURES, cleanUpAfterEach, runNode, stillAliveAfter, trackPids } from './support.js';

cleanUpAfterEach();

const PARENT = join(FIXTURES, 'process-parent.mjs');

function lastJson(stdout: string): any {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!);
}

describe('a script that forgets shutdown()', () => {
  test('exits by itself within a few seconds once its calls are done (idle children do not keep it alive)', async () => {
    const run = runNode([PARENT, 'forget-idle']);
    const printed = JSON.parse(await run.line(/"results"/));
    trackPids(printed.pids);
    const printedAt = Date.now();
    const { code, signal, stdout, stderr } = await run.exit(15_000);
    expect(Date.now() - printedAt).toBeLessThan(8_000);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(printed.results).toEqual([1, 4, 9]);
    expect(stdout.trim().split('\n')).toHaveLength(1); // nothing else printed
    expect(stderr).toBe('');
    expect(await stillAliveAfter(printed.pids, 3_000)).toEqual([]);
  });

  test('ending its top level with calls pending (async and busy sync), prints their results first', async () => {
    const run = runNode([PARENT, 'forget-pending']);
    const { code, signal, stdout, stderr } = await run.exit(20_000);
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines[0]).toBe('top level done');
    expect(lines.slice(1)).toEqual(
      expect.arrayContaining([{ async: expect.any(Number) }, { sync: expect.any(Number) }]),
    );
    expect(lines).toHaveLength(3);
    const pids = lines.slice(1).map((line) => line.async ?? line.sync);
    expect(await stillAliveAfter(pids, 3_000)).toEqual([]);
  });

  test('a broken pool still ends its idle children and shutdown() resolves in a script with nothing else to do', async () => {
    const run = runNode([PARENT, 'broken-shutdown']);
    const { code, stdout } = await run.exit(20_000);
    const lines = stdout.trim().split('\n');
    const first = JSON.parse(lines[0]!);
    trackPids(first.pids);
    expect(first.broken).toBe(true);
    expect(first.message).toMatch(/exited with code 7/);
    // Exit code 13 would mean shutdown()'s promise never settled ("unsettled top-level await").
    expect({ code, last: lines[lines.length - 1] }).toEqual({ code: 0, last: '"shut down"' });
    expect(await stillAliveAfter(first.pids, 3_000)).toEqual([]);
  });
});

describe('children never outlive their parent', () => {
  test.each([
    ['idle children', 'orphan-idle', false],
    ['a child stuck in while (true) {}', 'orphan-stuck', false],
    ['a child stuck in while (true) {}, parent detached', 'orphan-stuck', true],
  ] as const)(
    'parent SIGKILLed with %s: every child is gone within ~3 s',
    async (_name, mode, detached) => {
      const run = runNode([PARENT, mode], { detached });
      const { pids } = JSON.parse(await run.line(/"pids"/));
      trackPids(pids);
      expect(pids).toHaveLength(2);
      const children = [...new Set<number>(pids)];
      expect(children).toHaveLength(2);
      if (mode === 'orphan-stuck') {
        const { stuck } = JSON.parse(await run.line(/"stuck"/));
        expect(children).toContain(stuck);
      }
      expect(await stillAliveAfter(children, 0)).toEqual(children);
      process.kill(run.child.pid!, 'SIGKILL');
      // The guard (a shell, or a thread polling every 500 ms) ends it; allow for a loaded machine.
      expect(await stillAliveAfter(children, 4_000)).toEqual([]);
    },
  );

  test('SIGTERM to the whole process group, a stuck call handling SIGTERM: every child is gone within ~3 s', async () => {
    // The group's SIGTERM reaches the guard shells too: they must outlive the parent to end the
    // child, whose own SIGTERM handler keeps it alive.
    const run = runNode([PARENT, 'orphan-stuck-term'], { detached: true });
    const { pids } = JSON.parse(await run.line(/"pids"/));
    trackPids(pids);
    const children = [...new Set<number>(pids)];
    const { stuck } = JSON.parse(await run.line(/"stuck"/));
    expect(children).toContain(stuck);
    process.kill(-run.child.pid!, 'SIGTERM');
    expect(await run.exit(10_000)).toMatchObject({ signal: 'SIGTERM' });
    expect(await stillAliveAfter(children, 4_000)).toEqual([]);
  });
});

test("a child reads none of its parent's stdin: its fd 0 is /dev/null, as Python gives its children", async () => {
  const run = runNode([PARENT, 'stdin'], { stdin: 'pipe' });
  run.child.stdin!.end('the parent reads this line\n');
  const { code, stdout } = await run.exit(20_000);
  expect(code).toBe(0);
  expect(lastJson(stdout)).toEqual({ child: 0, parent: 'the parent reads this line\n' });
});

test('the children’s stdout and stderr reach the parent’s', async () => {
  const run = runNode([PARENT, 'stdio']);
  const { code, stdout, stderr } = await run.exit(20_000);
  expect(code).toBe(0);
  expect(stdout).toMatch(/^child stdout: hello from \d+$/m);
  expect(stdout).toMatch(/^child stdout: written directly$/m);
  expect(stderr).toMatch(/^child stderr: hello from \d+$/m);
  expect(lastJson(stdout)).toEqual({ result: 'returned' });
});

test('values made in a child keep their classes in a plain Node program', async () => {
  const run = runNode([PARENT, 'instanceof']);
  const { code, stdout } = await run.exit(20_000);
  expect(code).toBe(0);
  expect(lastJson(stdout)).toEqual({
    map: true,
    date: true,
    regexp: true,
    bytes: true,
    error: true,
  });
});

test('a parent run with `node --import tsx` gives its children the loader: fromModule() of a .ts module works', async () => {
  const run = runNode(['--import', 'tsx', PARENT, 'tsx']);
  const { code, stdout, stderr } = await run.exit(30_000);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  const printed = lastJson(stdout);
  expect(printed.described).toEqual({ value: 21, doubled: 42, parity: 'odd' });
  // The loader is not a start-up flag of the child: it is applied before the child's first import.
  expect(printed.execArgv).toEqual([]);
  // The control: the same module, in a child given no loader, cannot be imported.
  expect(printed.withoutLoader).toMatch(/process-tasks\.ts/);
  expect(printed.withoutLoader).toMatch(/describeNumber/);
  expect(printed.after).toBe('still working');
});
