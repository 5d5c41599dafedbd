// Reading the repository's Markdown pages the way a renderer (GitHub's, the registry's) reads them:
// the prose without code, the links in it, the headings and the anchors they get.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** The pages a user reads: the README, every page of docs/, and the benchmarks' page. */
export const PAGES = [
  'README.md',
  ...readdirSync(`${root}docs`)
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  'benchmarks/README.md',
];

export function read(page: string): string {
  return readFileSync(`${root}${page}`, 'utf8');
}

/** The text without fenced code blocks (their lines become empty, so line numbers stay). */
export function withoutFences(markdown: string): string {
  let inFence = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line;
    })
    .join('\n');
}

export interface Link {
  line: number;
  target: string;
}

/** Inline links `[text](target)` of the prose (inline code and code blocks are not links). */
export function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  withoutFences(markdown)
    .split('\n')
    .forEach((text, index) => {
      // Inline code is dropped but a link's text may be code: `[`x`](#x)` keeps its target.
      const prose = text.replace(/`[^`]*`/g, 'code');
      for (const match of prose.matchAll(/\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        links.push({ line: index + 1, target: match[1]! });
      }
    });
  return links;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a page's headings, with GitHub's -1, -2 … for repeated ones. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown).split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const base = slug(heading[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const match of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(match[1]!);
  return anchors;
}

/** The sections of a page: each heading line with the text up to the next heading of any level. */
export function sectionsOf(markdown: string): { heading: string; body: string }[] {
  const sections: { heading: string; body: string }[] = [];
  let current: { heading: string; lines: string[] } | undefined;
  for (const line of withoutFences(markdown).split('\n')) {
    if (/^#{1,6}\s/.test(line)) {
      if (current) sections.push({ heading: current.heading, body: current.lines.join('\n') });
      current = { heading: line, lines: [] };
    } else current?.lines.push(line);
  }
  if (current) sections.push({ heading: current.heading, body: current.lines.join('\n') });
  return sections;
}
