// The worker host's line for an unreachable Redis names a reason even when Node gives none: a
// refused connection to a dual-stack `localhost` is an AggregateError whose message is empty.

import { reasonOf } from '../../src/queue/cli.js';

test('an unreachable Redis is reported with a reason, never as "()"', () => {
  expect(reasonOf(new Error('connect ECONNREFUSED 127.0.0.1:6390'))).toBe(
    'connect ECONNREFUSED 127.0.0.1:6390',
  );
  const refused = Object.assign(
    new AggregateError([new Error('connect ECONNREFUSED ::1:6390')], ''),
    { code: 'ECONNREFUSED' },
  );
  expect(reasonOf(refused)).toBe('ECONNREFUSED');
  const noCode = new AggregateError([new Error('connect ECONNREFUSED ::1:6390')], '');
  expect(reasonOf(noCode)).toBe('connect ECONNREFUSED ::1:6390');
  expect(reasonOf(new AggregateError([], ''))).toBe('AggregateError');
});
