// Reading an async iteration to its end, for the suites that test map and asCompleted.

/** Every value the iteration yields, in order; throws what it throws. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of iterable) values.push(value);
  return values;
}

/** Runs the iteration to its end and returns what it yielded and what it threw. */
export async function drain<T>(
  iterable: AsyncIterable<T>,
): Promise<{ values: T[]; error: unknown }> {
  const values: T[] = [];
  try {
    for await (const value of iterable) values.push(value);
  } catch (error) {
    return { values, error };
  }
  return { values, error: undefined };
}
