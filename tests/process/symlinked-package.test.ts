// A package reached through a symlink, as pnpm and `npm link` lay out node_modules: a module a
// child imports, which imports this package in turn (to use currentSignal(), a nested pool, …).
// The child's guard setup once left Node's shared stat buffer describing a socket, and Node 20's
// realpathSync then stopped resolving the symlink: the package loaded under the link's path, and
// its own dependency failed ("Class extends value #<Object> is not a constructor").

import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fromModule } from 'concurrent-futures';
import { ROOT, cleanUpAfterEach, pool, scratchDir } from './support.js';

cleanUpAfterEach();

test('a module in a project whose node_modules links to this package imports it in a child', async () => {
  const project = scratchDir();
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(ROOT, join(project, 'node_modules', 'concurrent-futures'), 'dir');
  writeFileSync(join(project, 'package.json'), '{ "type": "module" }');
  const tasks = join(project, 'tasks.mjs');
  writeFileSync(
    tasks,
    `export async function usesThePackage() {
       const { EventLoopExecutor, currentSignal } = await import('concurrent-futures');
       return [typeof EventLoopExecutor, typeof currentSignal];
     }`,
  );
  const executor = pool({ maxWorkers: 1 });
  const usesThePackage = fromModule<() => Promise<string[]>>(
    pathToFileURL(tasks),
    'usesThePackage',
  );
  expect(await executor.submit(usesThePackage)).toEqual(['function', 'function']);
  await executor.shutdown();
});
