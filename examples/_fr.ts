import { ProcessPoolExecutor } from '/work/main/dist/index.js';
const t0 = performance.now();
const ex = new ProcessPoolExecutor({ maxWorkers: 2 });
await ex.submit((x: number) => x + 1, 1);
const t1 = performance.now();
await Promise.all([ex.submit((x: number) => x + 1, 1), ex.submit((x: number) => x + 1, 1)]);
console.log('first', (t1 - t0).toFixed(0), 'both', (performance.now() - t0).toFixed(0), 'ms');
await ex.shutdown();
