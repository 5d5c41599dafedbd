// Runs both examples end to end, as a user would (`node --import tsx examples/….ts`), and checks
// what they print: the primality answers, the byte counts of the local server's pages, and the one
// failing page reported as failed. The examples import the built package, which `npm test` builds.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

async function runExample(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    timeout: 50_000,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  expect(stderr).toBe('');
  return stdout;
}

/** The lines of each `-- name --` section, by name. */
function sections(stdout: string): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of stdout.split('\n')) {
    const header = /^-- (.+) --$/.exec(line);
    if (header !== null) byName.set(header[1]!, (current = []));
    else current?.push(line);
  }
  return byName;
}

const ANSWERS = new Map([
  [112272535095293, true],
  [112582705942171, true],
  [115280095190773, true],
  [115797848077099, true],
  [1099726899285419, false],
]);
const DOCS_ORDER = [
  112272535095293, 112582705942171, 112272535095293, 115280095190773, 115797848077099,
  1099726899285419,
];

test.each([
  ['by source', [], /^isPrime travels by source to both pools/m],
  ['by reference', ['--by-reference'], /^isPrime travels by reference to the processes/m],
])(
  "primes, at its default size, isPrime %s: both pools give the docs' answers (the six numbers four times over), in input order, and the times are reported",
  async (_how, flags, travels) => {
    const stdout = await runExample('examples/primes.ts', '--workers', '2', ...flags);
    expect(stdout).toMatch(
      /^== Primes: 24 numbers \(the six numbers of the Python docs, four times over\), 2 workers per pool ==$/m,
    );
    expect(stdout).toMatch(travels);
    const byName = sections(stdout);
    expect([...byName.keys()]).toEqual(['ProcessPoolExecutor.map', 'ThreadPoolExecutor.map']);
    for (const [name, lines] of byName) {
      const answers = lines
        .map((line) => /^(\d+) is prime: (true|false)$/.exec(line))
        .filter((match) => match !== null)
        .map((match) => [Number(match[1]), match[2] === 'true'] as const);
      const input = [...DOCS_ORDER, ...DOCS_ORDER, ...DOCS_ORDER, ...DOCS_ORDER];
      expect(answers).toEqual(input.map((n) => [n, ANSWERS.get(n)]));
      expect(lines.join('\n')).toMatch(
        new RegExp(
          `^${name.split('.')[0]}: [\\d.]+ s, [\\d.]+x the serial speed; answers agree with the serial run: yes$`,
          'm',
        ),
      );
    }
    expect(stdout).toMatch(/^serial, on this thread: [\d.]+ s$/m);
    expect(stdout).toMatch(/^serial \(this thread\)\s+1\s+[\d.]+ s\s+1\.00x$/m);
    expect(stdout).toMatch(/^ProcessPoolExecutor\.map\s+2\s+[\d.]+ s\s+[\d.]+x$/m);
    expect(stdout).toMatch(/^ThreadPoolExecutor\.map\s+2\s+[\d.]+ s\s+[\d.]+x$/m);
  },
  60_000,
);

test('urls: every page with its byte count, the failing page as failed, the slow page timed out, three runs side by side', async () => {
  const stdout = await runExample('examples/urls.ts');
  const byName = sections(stdout);
  expect([...byName.keys()]).toEqual([
    'ThreadPoolExecutor + asCompleted',
    'ThreadPoolExecutor + wait(FIRST_EXCEPTION)',
    'EventLoopExecutor + asCompleted',
  ]);
  for (const [name, lines] of byName) {
    const loaded = new Map<string, number>();
    const failed: string[] = [];
    const timedOut: string[] = [];
    const notDone: string[] = [];
    for (const line of lines) {
      let match = /^'(http:\/\/127\.0\.0\.1:\d+(\/\S*))' page is (\d+) bytes$/.exec(line);
      if (match !== null) loaded.set(match[2]!, Number(match[3]));
      match = /^'http:\/\/127\.0\.0\.1:\d+(\/\S*)' generated an exception: (.*)$/.exec(line);
      if (match !== null) {
        failed.push(match[1]!);
        expect(match[2]).toBe('HTTP Error 500: Internal Server Error');
      }
      match = /^'http:\/\/127\.0\.0\.1:\d+(\/\S*)' timed out: (.*)$/.exec(line);
      if (match !== null) {
        timedOut.push(match[1]!);
        expect(match[2]).toMatch(/ran past its timeout of 2000 ms/);
      }
      match = /^'http:\/\/127\.0\.0\.1:\d+(\/\S*)' not done at the first failure: /.exec(line);
      if (match !== null) notDone.push(match[1]!);
    }
    // The one failing page, reported as failed, in every run (wait() returns because of it).
    expect(failed).toEqual(['/fail']);
    for (const [path, bytes] of loaded)
      expect(bytes).toBe(Number(/^\/pages\/(\d+)$/.exec(path)![1]));
    expect(loaded.size + failed.length + timedOut.length + notDone.length).toBe(10);
    if (name.endsWith('asCompleted')) {
      // The slow page answers after 5 s; its call is ended at 2 s from its start.
      expect(timedOut).toEqual(['/slow']);
      expect(notDone).toEqual([]);
      expect(loaded.size).toBe(8);
    } else {
      expect(notDone).toContain('/slow'); // still running when wait() returned at the failure
    }
    expect(lines.join('\n')).toContain(
      `${name}: ${loaded.size} loaded, ${failed.length + timedOut.length} failed, ${notDone.length} not done, in `,
    );
  }
  expect(stdout).toMatch(
    /^run\s+loaded\s+failed\s+not done\s+time\s+with shutdown\s+calls at once\s+memory$/m,
  );
  expect(stdout).toMatch(
    /^EventLoopExecutor \+ asCompleted\s+8\s+2\s+0\s+[\d.]+ s\s+[\d.]+ s\s+5\s+[+-][\d.]+ MB$/m,
  );
  expect(stdout).toContain('byte counts match the pages served: yes');
}, 60_000);
