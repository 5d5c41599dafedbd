// Seen from a child `node` process, as a user's script: idle workers never keep the process
// alive, busy ones do, and a pool works under a TypeScript loader that its workers inherit.

import { DIST_URL, runChild } from './helpers.js';

// Each test starts a node process; on a loaded machine that alone can take seconds.
const SLOW = 60000;

test(
  'a script that forgets shutdown() exits by itself once its calls are done, printing nothing else',
  async () => {
    const script = `
    import { ThreadPoolExecutor } from ${JSON.stringify(DIST_URL)};
    const executor = new ThreadPoolExecutor({ maxWorkers: 3 });
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((x) => executor.submit((y) => y * 2, x)));
    console.log(JSON.stringify(results));
    console.log('workers', executor.workerIds.length);
    // no shutdown(): three idle threads remain
  `;
    const run = await runChild({ 'forgets.mjs': script }, 'forgets.mjs');
    expect(run.signal).toBeNull(); // not killed by the runner's time limit
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('[2,4,6,8,10,12]\nworkers 3\n');
    expect(run.stderr).toBe('');
  },
  SLOW,
);

test(
  'a script whose top level ends with calls pending finishes them first, then exits',
  async () => {
    const script = `
    import { ThreadPoolExecutor } from ${JSON.stringify(DIST_URL)};
    const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    const slow = (x) => {
      const end = Date.now() + 150;
      while (Date.now() < end);
      return x * 10;
    };
    const later = async (x) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return 'late ' + x;
    };
    for (let i = 0; i < 6; i++) executor.submit(slow, i).then((value) => console.log('slow', value));
    executor.submit(later, 'a').then((value) => console.log(value));
    // the top level ends here: nothing awaits, nothing shuts down
  `;
    const run = await runChild({ 'pending.mjs': script }, 'pending.mjs');
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n').sort()).toEqual([
      'late a',
      'slow 0',
      'slow 10',
      'slow 20',
      'slow 30',
      'slow 40',
      'slow 50',
    ]);
    expect(run.stderr).toBe('');
  },
  SLOW,
);

test(
  'an idle pool does not hold the process, a shut-down one neither; a busy one does',
  async () => {
    const script = `
    import { ThreadPoolExecutor } from ${JSON.stringify(DIST_URL)};
    const idle = new ThreadPoolExecutor({ maxWorkers: 2 });
    await idle.submit(() => 1);
    const waited = new ThreadPoolExecutor({ maxWorkers: 2 });
    await waited.submit(() => 2);
    void waited.shutdown({ wait: false });
    const busy = new ThreadPoolExecutor({ maxWorkers: 1 });
    busy.submit(() => new Promise((resolve) => setTimeout(() => resolve('busy done'), 300))).then(console.log);
  `;
    const run = await runChild({ 'mixed.mjs': script }, 'mixed.mjs');
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('busy done\n');
  },
  SLOW,
);

test(
  'fromModule with a TypeScript task module, when the parent runs under a loader (tsx)',
  async () => {
    const tasks = `
    export interface Point { x: number; y: number }
    export function norm(point: Point): number {
      return Math.hypot(point.x, point.y);
    }
  `;
    // Workers inherit the parent's execArgv, but on Node 20 tsx registers its hooks in the main
    // thread only; then the error says how to register it in every worker, which must work.
    const main = `
    import { ThreadPoolExecutor, fromModule } from ${JSON.stringify(DIST_URL)};
    const norm = fromModule<typeof import('./tasks.ts')['norm']>(new URL('./tasks.ts', import.meta.url), 'norm');
    {
      await using plain = new ThreadPoolExecutor({ maxWorkers: 1 });
      const error = await plain.submit(norm, { x: 3, y: 4 }).exception();
      console.log(error === undefined ? 'inherited' : (error as Error).message);
    }
    await using executor = new ThreadPoolExecutor({ maxWorkers: 1, initializer: fromModule('tsx/esm/api', 'register') });
    const results: number[] = [];
    for await (const n of executor.map(norm, [{ x: 3, y: 4 }, { x: 6, y: 8 }, { x: 5, y: 12 }])) results.push(n);
    console.log(JSON.stringify(results));
  `;
    const run = await runChild(
      { 'package.json': '{ "type": "module" }', 'tasks.ts': tasks, 'main.ts': main },
      'main.ts',
      ['--import', 'tsx'],
      50000,
    );
    expect(run.stderr).toBe('');
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    const [first, second] = run.stdout.trim().split('\n');
    if (first !== 'inherited') {
      expect(first).toMatch(/tasks\.ts/);
      expect(first).toMatch(/"norm"/);
      expect(first).toMatch(/initializer: fromModule\('tsx\/esm\/api', 'register'\)/);
    }
    expect(second).toBe('[5,10,13]');
  },
  SLOW,
);
