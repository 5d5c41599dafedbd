'use strict';
/* global module -- a CommonJS worker script */
// The benchmark's task functions, written once. Each is self-contained (it uses only its
// parameters and globals), so our pools can also take it by its source text. CommonJS so that
// workerpool's scripts can require it and the ESM worker files can import it.

/** The per-call workload: as small as a call can be. */
function inc(x) {
  return x + 1;
}

/** The prime check of Python's concurrent.futures docs, line for line. */
function isPrime(n) {
  if (n < 2) return false;
  if (n === 2) return true;
  if (n % 2 === 0) return false;
  const sqrtN = Math.floor(Math.sqrt(n));
  for (let i = 3; i <= sqrtN; i += 2) {
    if (n % i === 0) return false;
  }
  return true;
}

/** Keeps its worker busy for `ms` so that calls sent at once land on different workers. */
function spin(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end);
  return ms;
}

module.exports = { inc, isPrime, spin };
