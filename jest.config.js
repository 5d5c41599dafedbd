// Tests are TypeScript run by ts-jest in ESM mode. Tests outside tests/unit import the package by
// its name, as a user would; the name maps to the built dist/ (npm test builds it first), because
// worker threads and child processes load the built worker entries, not TypeScript.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  moduleNameMapper: {
    '^concurrent-futures$': '<rootDir>/dist/index.js',
    '^concurrent-futures/queue$': '<rootDir>/dist/queue/index.js',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 30000,
  // V8's coverage instruments nothing, so the functions our tests send by source are the code as
  // written. (istanbul's counters would travel too, into a sink: see src/worker/tool-helpers.ts.)
  coverageProvider: 'v8',
};
