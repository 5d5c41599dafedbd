// The pages must stand on their own for a reader of the repository or of the registry's page: no
// pointer to the project's internal tracker ("issue 11") or to files outside the repository
// (a `shared/` folder next to it). What is said there belongs on the page itself.

import { PAGES, read, withoutFences } from './markdown.js';

const ISSUE = /\bissues?\s+#?\d+/gi;
const OUTSIDE = /(?:\.\.\/)+shared\/|\bshared\/spec\b/g;

export function pointersOf(page: string, markdown: string): string[] {
  const text = withoutFences(markdown);
  return [...text.matchAll(ISSUE), ...text.matchAll(OUTSIDE)].map((m) => `${page}: ${m[0]}`);
}

test('a pointer to an issue or to a folder outside the repository is caught', () => {
  expect(
    pointersOf('x.md', 'as issue 11 asks; see issues 9 and 11, and ../shared/spec/API.md'),
  ).toEqual(['x.md: issue 11', 'x.md: issues 9', 'x.md: ../shared/']);
  expect(pointersOf('x.md', 'the issue-free text, a shared buffer, 11 issues')).toEqual([]);
});

test('no page points to an issue number or outside the repository', () => {
  const found = PAGES.flatMap((page) => pointersOf(page, read(page)));
  expect(found).toEqual([]);
});
