// docs/api.md is written by hand; this keeps it in step with the code: every name that
// src/index.ts exports (values and types) has a section of its own, and every name in the
// contents list at the top of api.md is still exported.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));
const apiMd = readFileSync(`${root}docs/api.md`, 'utf8');

function exportedNames(): string[] {
  const index = `${root}src/index.ts`;
  const program = ts.createProgram([index], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
  return checker
    .getExportsOfModule(moduleSymbol)
    .map((symbol) => symbol.getName())
    .sort();
}

/** The names in backticks on the headings of api.md. */
function documentedNames(): Set<string> {
  const names = new Set<string>();
  for (const line of apiMd.split('\n')) {
    if (!/^#{2,4} /.test(line)) continue;
    for (const [, code] of line.matchAll(/`([^`]+)`/g)) {
      const name = /^[A-Za-z_$][\w$]*/.exec(code!);
      if (name !== null) names.add(name[0]);
    }
  }
  return names;
}

/** The names listed in the "## Contents" section. */
function contentsNames(): string[] {
  const section = /^## Contents\n([\s\S]*?)\n## /m.exec(apiMd);
  expect(section).not.toBeNull();
  return [...section![1]!.matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((match) => match[1]!);
}

const exported = exportedNames();

test('src/index.ts exports something (the parse works)', () => {
  expect(exported).toEqual(expect.arrayContaining(['Future', 'ThreadPoolExecutor', 'wait']));
});

test('every exported name has a section in docs/api.md', () => {
  const documented = documentedNames();
  expect(exported.filter((name) => !documented.has(name))).toEqual([]);
});

test('every exported name is in the contents list, and the list names only exports', () => {
  const listed = contentsNames();
  expect(exported.filter((name) => !listed.includes(name))).toEqual([]);
  expect(listed.filter((name) => !exported.includes(name))).toEqual([]);
});
