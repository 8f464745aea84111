export default {
  displayName: 'api',
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  moduleFileExtensions: ['ts', 'js'],
  moduleNameMapper: {
    '^@byok/contracts$': '<rootDir>/../../libs/contracts/src/index.ts',
    '^@byok/fake-upstream$': '<rootDir>/../../tools/fake-upstream/src/index.ts',
  },
  testTimeout: 30_000,
  // Every key the tests use is searched for in every log, Redis value and payload of the run.
  globalSetup: '<rootDir>/test/reliability/leak-audit/global-setup.ts',
  globalTeardown: '<rootDir>/test/reliability/leak-audit/global-teardown.ts',
};
