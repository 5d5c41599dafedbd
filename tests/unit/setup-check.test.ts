import { Future, wait, asCompleted, FIRST_COMPLETED } from '../../src/index.js';

test('a future settles and wait sees it', async () => {
  const a = new Future<number>();
  const b = new Future<number>();
  setTimeout(() => a.setResult(1), 5);
  const { done, notDone } = await wait([a, b], { returnWhen: FIRST_COMPLETED });
  expect([...done]).toEqual([a]);
  expect([...notDone]).toEqual([b]);
  b.setException(new Error('x'));
  const seen: Future<number>[] = [];
  for await (const f of asCompleted([b, a])) seen.push(f);
  expect(seen).toEqual([b, a]);
  await expect(b).rejects.toThrow('x');
  expect(await a).toBe(1);
});
