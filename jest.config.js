/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // A hang guard, not a timing: CI runs the suites under ASan on a 2-core machine, where loading the addon in four
  // worker threads at once has taken over jest's default 5 s.
  testTimeout: 60000,
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
};
