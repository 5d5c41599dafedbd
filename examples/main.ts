// What `npm start` runs: the two batch jobs of Python's concurrent.futures documentation, one after
// the other. Each also runs alone: `npm run example:primes`, `npm run example:urls`.

import { runPrimes } from './primes.js';
import { runUrls } from './urls.js';

// By default the prime job checks the docs' six numbers four times over: six alone take well under a
// second here, too little for the pools to repay starting their workers (see primes.ts).
await runPrimes();
console.log('');
await runUrls();
