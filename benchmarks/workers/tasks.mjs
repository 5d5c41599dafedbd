// Named exports for piscina and tinypool, which pick the export by `run(arg, { name })`.
export { inc, isPrime, spin } from './tasks.cjs';
export { inc as default } from './tasks.cjs';
