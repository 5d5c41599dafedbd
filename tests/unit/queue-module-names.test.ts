// How the QueueExecutor names modules in jobs (paths from the project root) and how a host reads
// its --allow entries and resolves job modules against its own root.

import { mkdtempSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  allowedName,
  findProjectRoot,
  jobModuleName,
  resolveJobModule,
} from '../../src/queue/module-names.js';

let root: string;
let elsewhere: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'cf-names-root-'));
  elsewhere = mkdtempSync(join(tmpdir(), 'cf-names-elsewhere-'));
  writeFileSync(join(root, 'package.json'), '{}');
  mkdirSync(join(root, 'dist', 'deep'), { recursive: true });
  writeFileSync(join(root, 'dist', 'tasks.js'), '');
  mkdirSync(join(root, 'node_modules', 'lodash'), { recursive: true }); // an installed package
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

test('the project root is the nearest directory with a package.json', () => {
  expect(findProjectRoot(join(root, 'dist', 'deep'))).toBe(root);
});

test("a root reached through a symbolic link (a deploy's current -> releases/v1) holds its modules", () => {
  const releases = join(elsewhere, 'releases', 'v1');
  mkdirSync(releases, { recursive: true });
  writeFileSync(join(releases, 'package.json'), '{}');
  writeFileSync(join(releases, 'jobs.mjs'), '');
  const current = join(elsewhere, 'current');
  symlinkSync(releases, current);
  // Node names a module by its real path (import.meta.url); the root given names the link.
  const moduleUrl = pathToFileURL(realpathSync(join(releases, 'jobs.mjs'))).href;
  expect(jobModuleName(moduleUrl, findProjectRoot(current))).toBe('./jobs.mjs');
  expect(jobModuleName(moduleUrl, current)).toBe('./jobs.mjs');
  expect(allowedName('./jobs.mjs', current, current)).toBe('./jobs.mjs');
  expect(allowedName(join(releases, 'jobs.mjs'), current, elsewhere)).toBe('./jobs.mjs');
  // A module of the project that is a link to a file outside it keeps its name in the project.
  writeFileSync(join(elsewhere, 'shared.mjs'), '');
  symlinkSync(join(elsewhere, 'shared.mjs'), join(releases, 'shared.mjs'));
  const linked = pathToFileURL(join(current, 'shared.mjs')).href;
  expect(jobModuleName(linked, findProjectRoot(current))).toBe('./shared.mjs');
  expect(allowedName('./shared.mjs', current, current)).toBe('./shared.mjs');
});

test('a producer names a file by its path from the root, and refuses a file outside it', () => {
  expect(jobModuleName(pathToFileURL(join(root, 'dist', 'tasks.js')).href, root)).toBe(
    './dist/tasks.js',
  );
  expect(jobModuleName('some-package/sub', root)).toBe('some-package/sub');
  expect(() => jobModuleName(pathToFileURL(join(elsewhere, 'x.js')).href, root)).toThrow(
    /outside the project root/,
  );
});

test('a host reads --allow entries from its current directory, else from its root', () => {
  expect(allowedName('./dist/tasks.js', root, root)).toBe('./dist/tasks.js');
  expect(allowedName('dist/tasks.js', root, elsewhere)).toBe('./dist/tasks.js');
  expect(allowedName('./dist/tasks.js', root, elsewhere)).toBe('./dist/tasks.js');
  expect(allowedName(join(root, 'dist', 'tasks.js'), root, elsewhere)).toBe('./dist/tasks.js');
  expect(allowedName('lodash', root, elsewhere)).toBe('lodash');
  writeFileSync(join(elsewhere, 'mine.js'), '');
  expect(() => allowedName('./mine.js', root, elsewhere)).toThrow(/outside the project root/);
});

test('a host refuses an --allow path that names no file, instead of allowing nothing', () => {
  expect(() => allowedName('./dist/taks.js', root, root)).toThrow(
    /--allow \.\/dist\/taks\.js: there is no file/,
  );
  expect(() => allowedName(join(root, 'nope.js'), root, elsewhere)).toThrow(/there is no file/);
  expect(() => allowedName(pathToFileURL(join(root, 'nope.js')).href, root, elsewhere)).toThrow(
    /there is no file/,
  );
});

test('a host refuses an --allow entry that is neither a file nor an installed package', () => {
  // Written without ./ before the build: it used to be taken for a package name and allow nothing.
  expect(() => allowedName('dist/not-built-yet.js', root, root)).toThrow(
    /--allow dist\/not-built-yet\.js: there is no file .* and no package dist installed/,
  );
  expect(() => allowedName('no-such-package', root, elsewhere)).toThrow(
    /no package no-such-package installed/,
  );
  expect(() => allowedName('@scope/missing/sub', root, elsewhere)).toThrow(
    /no package @scope\/missing installed/,
  );
  expect(allowedName('lodash/fp', root, elsewhere)).toBe('lodash/fp');
  expect(allowedName('node:crypto', root, elsewhere)).toBe('node:crypto');
});

test('a host resolves a job module against its own root', () => {
  expect(resolveJobModule('./dist/tasks.js', '/srv/app')).toBe(
    pathToFileURL('/srv/app/dist/tasks.js').href,
  );
  expect(resolveJobModule('lodash', '/srv/app')).toBe('lodash');
});
