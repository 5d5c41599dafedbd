// The README's performance table is written by the benchmark (benchmarks/runner/readme-table.ts)
// from benchmarks/results/latest.json, the run benchmarks/README.md shows: a figure edited by
// hand, or a table left behind by a new run, differs from what the report renders here.

import { readFileSync } from 'node:fs';
import * as prettier from 'prettier';
import { betweenMarkers } from '../../benchmarks/runner/readme-table.js';
import { renderSummary } from '../../benchmarks/runner/report.js';
import { ResultsView, type RunResults } from '../../benchmarks/runner/results.js';
import { read, root } from './markdown.js';

const latest = JSON.parse(
  readFileSync(`${root}benchmarks/results/latest.json`, 'utf8'),
) as RunResults;

async function expectedReadme(results: RunResults): Promise<string | undefined> {
  const readme = read('README.md');
  const updated = betweenMarkers(readme, renderSummary(new ResultsView(results)));
  if (updated === undefined) return undefined;
  const config = await prettier.resolveConfig(`${root}README.md`);
  return prettier.format(updated, { ...config, filepath: `${root}README.md` });
}

test('the table is stamped with its date and commit, and says which way each ratio is better', () => {
  const summary = renderSummary(new ResultsView(latest));
  expect(summary).toContain(latest.date.slice(0, 10));
  expect(summary).toContain(latest.commit.slice(0, 7));
  expect(summary).toMatch(/\| higher \|/);
  expect(summary).toMatch(/\| lower \|/);
});

test('a figure that differs from the results is caught', async () => {
  const changed = structuredClone(latest);
  changed.groups[0]!.libraries[Object.keys(changed.groups[0]!.libraries)[0]!]!.samples = [1, 1, 1];
  expect(await expectedReadme(changed)).not.toBe(read('README.md'));
});

test("README.md's performance table is what the report renders from benchmarks/results/latest.json", async () => {
  const expected = await expectedReadme(latest);
  expect(expected).toBeDefined(); // the markers are there
  expect(read('README.md')).toBe(expected);
});
