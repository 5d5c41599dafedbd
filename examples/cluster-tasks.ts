// What the cluster example's worker hosts run (they allow this module only). Each task answers
// with the name of the host that ran it, so the example can show who ran what.

import { isPrime } from './primes.js';
import { loadUrl } from './urls.js';

function hostName(): string {
  return process.env.CLUSTER_HOST_NAME ?? `pid ${process.ppid}`;
}

export function isPrimeOnHost(n: number): [boolean, string] {
  return [isPrime(n), hostName()];
}

export async function loadUrlOnHost(url: string, timeoutMs: number): Promise<[number, string]> {
  const bytes = await loadUrl(url, timeoutMs);
  return [bytes.length, hostName()];
}

/** For the benchmark: nothing at all, and a sleep. */
export function nothing(): number {
  return 0;
}

export async function sleepFor(ms: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return hostName();
}
