// What `npm start` runs: the two batch jobs of Python's concurrent.futures documentation, one after
// the other. Each also runs alone: `npm run example:primes`, `npm run example:urls`.

import { runPrimes } from './primes.js';
import { runUrls } from './urls.js';

// The docs' six numbers take well under a second here; four times the list lets the pools repay
// the cost of starting their workers, so the speed-up shows what they are for.
await runPrimes({ count: 24 });
console.log('');
await runUrls();
