// `npm run bench`: every workload for this library and for each peer, side by side, in one run.
//
//   npm run bench                      all workloads, 3 rounds; writes results/latest.json and README.md's table
//   npm run bench -- --quick           1 round (writes results/quick.tmp.json)
//   npm run bench -- --only calls,map  some sections (writes results/only-<names>.tmp.json); see SECTIONS
//   npm run bench -- --rounds 5        more rounds
//   npm run bench -- --report results/latest.json   re-render a run's figures (no samples taken)
//
// For each group (one workload, one worker count) the libraries take turns, round after round
// (A B C …, then B C … A: the order rotates so that no library always goes first), each sample in
// a fresh process (runner/sample.ts). The report (runner/report.ts) shows the medians.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { GROUPS, LIBRARIES, SECTIONS, type Group, type Section } from './runner/plan.js';
import { renderReport } from './runner/report.js';
import { updateTopReadme } from './runner/readme-table.js';
import {
  ResultsView,
  type GroupResult,
  type LibraryResult,
  type RunResults,
} from './runner/results.js';
import { pythonVersion, takeSample, type SampleResult } from './runner/sample.js';
import { evaluateTargets } from './runner/targets.js';
import { sampleEnvironment } from './runner/environment.js';
import { HOW_TO_GET_REDIS, startRedis, type Redis } from '../examples/cluster-launch.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const README = fileURLToPath(new URL('./README.md', import.meta.url));
const DEFAULT_ROUNDS = 3;
/** Longest a sample may take: Python's serial prime job is the slowest, ~15 s on an idle machine. */
const SAMPLE_TIMEOUT_MS = 180_000;

interface Options {
  rounds: number;
  quick: boolean;
  only: Section[] | null;
  /** A results file to render again instead of taking samples. */
  report: string | null;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { rounds: DEFAULT_ROUNDS, quick: false, only: null, report: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--quick') {
      options.quick = true;
      options.rounds = 1;
    } else if (arg === '--only') {
      const names = value().split(',');
      for (const name of names) {
        if (!(SECTIONS as readonly string[]).includes(name))
          throw new Error(`--only ${name}: expected one of ${SECTIONS.join(', ')}`);
      }
      options.only = names as Section[];
    } else if (arg === '--rounds') {
      options.rounds = Number(value());
      if (!Number.isInteger(options.rounds) || options.rounds < 1)
        throw new Error('--rounds takes an integer >= 1');
    } else if (arg === '--report') {
      options.report = value();
    } else if (arg === '--help' || arg === '-h') {
      console.log(
        'npm run bench [-- --quick] [-- --only <section>[,<section>…]] [-- --rounds <n>] [-- --report <results.json>]',
      );
      console.log(`sections: ${SECTIONS.join(', ')}`);
      process.exit(0);
    } else {
      throw new Error(`unknown argument ${arg} (try --help)`);
    }
  }
  return options;
}

function selectGroups(only: Section[] | null): Group[] {
  if (!only) return GROUPS;
  const sections = new Set<Section>(only);
  // Scaling reads its 2-worker column, and the serial time, from the main groups.
  const needed = new Set(sections.has('scaling') ? ['calls@2', 'primes@2'] : []);
  return GROUPS.filter((g) => sections.has(g.section) || needed.has(g.id));
}

function git(...args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function packageVersion(pkg: string): string {
  const path =
    pkg === 'concurrent-futures'
      ? `${ROOT}/package.json`
      : `${ROOT}/node_modules/${pkg}/package.json`;
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

function describe(result: SampleResult, elapsed: number): string {
  const wall = `(${(elapsed / 1000).toFixed(1)} s)`;
  if (result.value !== undefined)
    return `${Number(result.value.toPrecision(4))} ${result.unit ?? ''} ${wall}`;
  if (result.skip) return `skipped: ${result.skip}`;
  return `FAILED ${wall}: ${result.error?.split('\n')[0]}`;
}

/** Renders a results file again (after a change to the report); the latest full run also goes to README.md. */
async function rerender(file: string): Promise<void> {
  const path = resolve(RESULTS_DIR, '..', file);
  const results = JSON.parse(readFileSync(path, 'utf8')) as RunResults;
  const view = new ResultsView(results);
  const targets = evaluateTargets(view);
  results.targets = targets;
  const report = renderReport(view, targets);
  process.stdout.write(report);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  if (path === resolve(RESULTS_DIR, 'latest.json')) {
    await updateReadme(report);
    await updateTopReadme(view);
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.report) return rerender(options.report);
  const groups = selectGroups(options.only);
  const python = pythonVersion();
  const started = performance.now();
  const results: RunResults = {
    date: new Date().toISOString(),
    commit: git('rev-parse', 'HEAD'),
    dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      os: `${type()} ${release()}`,
      node: process.version,
      python: python ?? null,
      loadAverageAtStart: loadavg(),
    },
    options: { rounds: options.rounds, quick: options.quick, only: options.only },
    versions: Object.fromEntries(
      [...new Set(Object.values(LIBRARIES).flatMap((l) => (l.pkg ? [l.pkg] : [])))].map((pkg) => [
        pkg,
        packageVersion(pkg),
      ]),
    ),
    environment: sampleEnvironment().recorded,
    groups: [],
  };
  if (!python) console.error('python3 not found: the Python rows are skipped.');

  // The queue section's redis-server: one for the whole run (REDIS_URL's, or one on a free port
  // in a temporary directory), its URL handed to the samples; without one the section is skipped.
  let redis: Redis | undefined;
  if (groups.some((g) => g.libraries.some((lib) => LIBRARIES[lib]!.redis))) {
    redis = await startRedis();
    if (redis) process.env.BENCH_REDIS_URL = redis.url;
    else console.error(`The queue section is skipped: ${HOW_TO_GET_REDIS}`);
  }
  try {
    await takeSamples(groups, options, python, results);
  } finally {
    await redis?.stop();
  }

  results.machine.loadAverageAtEnd = loadavg();
  results.durationSeconds = (performance.now() - started) / 1000;
  const view = new ResultsView(results);
  const targets = evaluateTargets(view);
  results.targets = targets;
  const report = renderReport(view, targets);
  process.stdout.write(`\n${report}`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const full = !options.quick && !options.only;
  const name = full
    ? 'latest.json'
    : options.quick && !options.only
      ? 'quick.tmp.json'
      : `only-${options.only!.join('-')}${options.quick ? '-quick' : ''}.tmp.json`;
  writeFileSync(`${RESULTS_DIR}${name}`, `${JSON.stringify(results, null, 2)}\n`);
  console.error(`\nFigures written to benchmarks/results/${name}.`);
  if (full) {
    await updateReadme(report);
    await updateTopReadme(view);
    console.error('The tables in benchmarks/README.md and README.md are updated.');
  }
}

/** Every group's samples, library by library in turns, round after round, into `results`. */
async function takeSamples(
  groups: Group[],
  options: Options,
  python: string | undefined,
  results: RunResults,
): Promise<void> {
  const total = groups.reduce((sum, g) => sum + g.libraries.length * options.rounds, 0);
  let done = 0;
  for (const group of groups) {
    const libraries: Record<string, LibraryResult> = Object.fromEntries(
      group.libraries.map((lib) => [lib, { samples: [], details: [], errors: [], warnings: [] }]),
    );
    const groupResult: GroupResult = {
      id: group.id,
      section: group.section,
      workload: group.workload,
      workers: group.workers,
      libraries,
    };
    results.groups.push(groupResult);
    const hung = new Set<string>();
    for (let round = 0; round < options.rounds; round++) {
      const order = [
        ...group.libraries.slice(round % group.libraries.length),
        ...group.libraries.slice(0, round % group.libraries.length),
      ];
      for (const lib of order) {
        done++;
        const result = libraries[lib]!;
        const library = LIBRARIES[lib]!;
        if (result.skip || hung.has(lib) || (round > 0 && group.firstRoundOnly?.includes(lib)))
          continue;
        if (library.python && !python) {
          result.skip = 'python3 not found';
          continue;
        }
        if (library.redis && process.env.BENCH_REDIS_URL === undefined) {
          result.skip = 'no redis-server (install redis-server or set REDIS_URL)';
          continue;
        }
        const sampleStarted = performance.now();
        const sample = await takeSample(
          group.workload,
          library,
          group.workers,
          SAMPLE_TIMEOUT_MS,
          group.nodeArgs,
        );
        console.error(
          `[${done}/${total}] ${group.id} round ${round + 1}: ${library.label}: ${describe(sample, performance.now() - sampleStarted)}`,
        );
        result.warnings.push(...sample.warnings);
        if (sample.value !== undefined) {
          result.samples.push(sample.value);
          result.unit = sample.unit;
          result.details.push(sample.details ?? {});
        } else if (sample.skip) {
          result.skip = sample.skip;
        } else {
          result.errors.push(sample.error ?? 'unknown error');
          if (sample.error?.startsWith('no result after')) hung.add(lib); // a hang would only hang again
        }
      }
    }
  }
}

/** Puts the report between the markers of benchmarks/README.md, formatted as `npm run lint` wants it. */
async function updateReadme(report: string): Promise<void> {
  const start = '<!-- latest-results:start -->';
  const end = '<!-- latest-results:end -->';
  const text = readFileSync(README, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to < from) {
    console.error(
      `benchmarks/README.md has no ${start} … ${end} markers: the table is not copied there.`,
    );
    return;
  }
  const updated = `${text.slice(0, from + start.length)}\n\n${report}\n${text.slice(to)}`;
  const config = await prettier.resolveConfig(README);
  writeFileSync(README, await prettier.format(updated, { ...config, filepath: README }));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
