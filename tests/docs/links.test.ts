// Every relative link of the pages a user reads must lead somewhere: to a file or folder inside the
// repository, and, when it names an anchor, to a heading of that page. (External links are not
// fetched: the tests run without a network.)

import { existsSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { PAGES, anchorsOf, linksOf, read, root } from './markdown.js';

/** What is wrong with one link of `page`, or undefined when it resolves. */
function problem(page: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:, …
  const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
  const file =
    pathPart === '' ? resolve(root, page) : resolve(root, dirname(page), decodeURI(pathPart));
  const inside = relative(root, file);
  if (inside.startsWith('..') || resolve(root, inside) !== file)
    return 'leads outside the repository';
  if (!existsSync(file)) return `no such file: ${inside}`;
  if (anchor === undefined) return undefined;
  if (statSync(file).isDirectory() || !file.endsWith('.md'))
    return 'an anchor on a page that has no headings';
  return anchorsOf(read(inside)).has(anchor)
    ? undefined
    : `no heading gives the anchor #${anchor} in ${inside}`;
}

function brokenLinks(): string[] {
  return PAGES.flatMap((page) =>
    linksOf(read(page)).flatMap(({ line, target }) => {
      const why = problem(page, target);
      return why === undefined ? [] : [`${page}:${line}: (${target}) ${why}`];
    }),
  );
}

test('the pages are found and have links (the parse works)', () => {
  expect(PAGES).toEqual(
    expect.arrayContaining(['README.md', 'docs/api.md', 'benchmarks/README.md']),
  );
  expect(linksOf(read('README.md')).length).toBeGreaterThan(5);
  expect(anchorsOf(read('docs/api.md'))).toContain('the-queueexecutor-concurrent-futuresqueue');
});

test('a broken link is caught: a missing file, an anchor, a path out of the repository', () => {
  expect(problem('README.md', 'docs/no-such-page.md')).toMatch(/no such file/);
  expect(problem('README.md', 'docs/api.md#no-such-heading')).toMatch(/no heading/);
  expect(problem('docs/guide.md', '../../shared/spec/API.md')).toMatch(/outside the repository/);
  expect(problem('docs/guide.md', '#no-such-heading')).toMatch(/no heading/);
  expect(problem('docs/guide.md', 'api.md#future')).toBeUndefined();
});

test('every relative link in README.md, docs/*.md and benchmarks/README.md resolves', () => {
  expect(brokenLinks()).toEqual([]);
});
