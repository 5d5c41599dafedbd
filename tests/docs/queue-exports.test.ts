// The `concurrent-futures/queue` subpath has its own section in docs/api.md; every name its entry
// exports must be named there (in code), as every export of the package root has a section.

import ts from 'typescript';
import { read, root, sectionsOf } from './markdown.js';

function queueExports(): string[] {
  const entry = `${root}src/queue/index.ts`;
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  return checker.getExportsOfModule(moduleSymbol).map((symbol) => symbol.getName());
}

/** The names in code spans of the QueueExecutor section (its heading and every subsection). */
function queueSectionNames(): Set<string> {
  const sections = sectionsOf(read('docs/api.md'));
  const start = sections.findIndex(({ heading }) => /^## The QueueExecutor/.test(heading));
  expect(start).toBeGreaterThanOrEqual(0);
  const end = sections.findIndex((section, i) => i > start && /^## /.test(section.heading));
  const text = sections
    .slice(start, end === -1 ? undefined : end)
    .map(({ heading, body }) => `${heading}\n${body}`)
    .join('\n');
  return new Set(
    [...text.matchAll(/`([^`]+)`/g)].flatMap(([, code]) => code!.match(/[A-Za-z_$][\w$]*/g) ?? []),
  );
}

test('every name concurrent-futures/queue exports is named in the QueueExecutor section of api.md', () => {
  const exported = queueExports();
  expect(exported).toEqual(expect.arrayContaining(['QueueExecutor', 'startQueueWorker']));
  const named = queueSectionNames();
  expect(exported.filter((name) => !named.has(name))).toEqual([]);
});
