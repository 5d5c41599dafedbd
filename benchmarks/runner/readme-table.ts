// Writes the top README's performance table (report.ts's renderSummary) between its marker
// comments, formatted as `npm run lint` wants it, so that a full run (or `--report
// results/latest.json`) keeps README.md's figures those of benchmarks/README.md.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { renderSummary } from './report.js';
import type { ResultsView } from './results.js';

const TOP_README = fileURLToPath(new URL('../../README.md', import.meta.url));
export const SUMMARY_START = '<!-- performance-table:start -->';
export const SUMMARY_END = '<!-- performance-table:end -->';

/** `text` with what lies between the markers replaced by `inner`; undefined without the markers. */
export function betweenMarkers(text: string, inner: string): string | undefined {
  const from = text.indexOf(SUMMARY_START);
  const to = text.indexOf(SUMMARY_END);
  if (from === -1 || to < from) return undefined;
  return `${text.slice(0, from + SUMMARY_START.length)}\n\n${inner}\n${text.slice(to)}`;
}

export async function updateTopReadme(view: ResultsView): Promise<void> {
  const text = readFileSync(TOP_README, 'utf8');
  const updated = betweenMarkers(text, renderSummary(view));
  if (updated === undefined) {
    console.error(
      `README.md has no ${SUMMARY_START} … ${SUMMARY_END} markers: its table is not updated.`,
    );
    return;
  }
  const config = await prettier.resolveConfig(TOP_README);
  writeFileSync(TOP_README, await prettier.format(updated, { ...config, filepath: TOP_README }));
}
