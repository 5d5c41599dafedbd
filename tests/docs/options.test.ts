// docs/api.md's option tables must name exactly the options the code accepts. The code's list is
// the known-key record of each options type (`OptionKeys<T>` in src/, which the compiler keeps
// complete and every executor checks its options against); the docs' list is the first column of
// the table under the heading named after the type.

import { readdirSync, readFileSync } from 'node:fs';
import ts from 'typescript';
import { read, root, sectionsOf } from './markdown.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function literalKeys(node: ts.Expression): string[] | undefined {
  if (!ts.isObjectLiteralExpression(node)) return undefined;
  return node.properties.flatMap((property) =>
    (ts.isPropertyAssignment(property) || ts.isShorthandPropertyAssignment(property)) &&
    (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))
      ? [property.name.text]
      : [],
  );
}

/**
 * Options type name → its known keys, from `const X: OptionKeys<T> = { … }` and from
 * `checkOptions<T>(value, name, { … }, where)` with the record written in place.
 */
export function optionRecords(): Map<string, string[]> {
  const records = new Map<string, string[]>();
  const add = (type: ts.TypeNode | undefined, keys: string[] | undefined) => {
    if (type === undefined || keys === undefined || !ts.isTypeReferenceNode(type)) return;
    records.set(type.typeName.getText(), keys);
  };
  for (const file of sourceFiles(`${root}src`)) {
    const source = ts.createSourceFile(
      file,
      readFileSync(file, 'utf8'),
      ts.ScriptTarget.Latest,
      true,
    );
    const visit = (node: ts.Node): void => {
      if (
        ts.isVariableDeclaration(node) &&
        node.type !== undefined &&
        ts.isTypeReferenceNode(node.type) &&
        node.type.typeName.getText() === 'OptionKeys' &&
        node.initializer !== undefined
      ) {
        add(node.type.typeArguments?.[0], literalKeys(node.initializer));
      }
      if (
        ts.isCallExpression(node) &&
        node.expression.getText() === 'checkOptions' &&
        node.arguments[2] !== undefined
      ) {
        add(node.typeArguments?.[0], literalKeys(node.arguments[2]));
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return records;
}

/** Options type name → the options its table in api.md names (first column, in backticks). */
export function documentedOptions(markdown: string): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  for (const { heading, body } of sectionsOf(markdown)) {
    const name = /^#+\s+`([A-Za-z_$][\w$]*Options)`\s*$/.exec(heading)?.[1];
    if (name === undefined) continue;
    const rows = body.split('\n').filter((line) => line.startsWith('|'));
    const options = rows
      .slice(2) // the header and the alignment row
      .map((row) => /^\|\s*`([^`]+)`/.exec(row)?.[1])
      .filter((option): option is string => option !== undefined);
    tables.set(name, options);
  }
  return tables;
}

/** Where the docs and the code disagree, one line each. */
export function mismatches(
  records: Map<string, string[]>,
  tables: Map<string, string[]>,
): string[] {
  const lines: string[] = [];
  for (const [type, keys] of records) {
    const documented = tables.get(type);
    if (documented === undefined) {
      lines.push(`${type}: no \`${type}\` heading with a table in docs/api.md`);
      continue;
    }
    for (const key of keys)
      if (!documented.includes(key)) lines.push(`${type}.${key}: accepted, not documented`);
    for (const option of documented) {
      if (!keys.includes(option))
        lines.push(`${type}.${option}: documented, not accepted by the code`);
    }
  }
  for (const type of tables.keys()) {
    if (!records.has(type)) lines.push(`${type}: documented, but no known-key record in src/`);
  }
  return lines;
}

const records = optionRecords();
const apiMd = read('docs/api.md');

test('the known-key records are found (the parse works)', () => {
  expect([...records.keys()]).toEqual(
    expect.arrayContaining([
      'ThreadPoolExecutorOptions',
      'ProcessPoolExecutorOptions',
      'EventLoopExecutorOptions',
      'MapOptions',
      'ScheduleOptions',
      'ShutdownOptions',
      'WaitOptions',
      'AsCompletedOptions',
      'QueueExecutorOptions',
      'QueueWorkerOptions',
    ]),
  );
  expect(records.get('ScheduleOptions')).toEqual(
    expect.arrayContaining(['args', 'timeout', 'signal']),
  );
});

test('a missing, an extra and an undocumented option are each caught', () => {
  const code = new Map([['XOptions', ['a', 'b']]]);
  expect(
    mismatches(
      code,
      documentedOptions(
        '### `XOptions`\n\n| option | meaning |\n| - | - |\n| `a` | x |\n| `c` | y |\n',
      ),
    ),
  ).toEqual([
    'XOptions.b: accepted, not documented',
    'XOptions.c: documented, not accepted by the code',
  ]);
  expect(mismatches(code, new Map())).toEqual([
    'XOptions: no `XOptions` heading with a table in docs/api.md',
  ]);
  expect(mismatches(new Map(), new Map([['YOptions', ['a']]]))).toEqual([
    'YOptions: documented, but no known-key record in src/',
  ]);
});

test("every option in docs/api.md's tables is accepted by the code, and every accepted option is documented", () => {
  expect(mismatches(records, documentedOptions(apiMd))).toEqual([]);
});
