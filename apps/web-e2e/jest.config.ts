export default {
  displayName: 'web-e2e',
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/src'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  moduleFileExtensions: ['ts', 'js'],
  moduleNameMapper: {
    '^@byok/contracts$': '<rootDir>/../../libs/contracts/src/index.ts',
    '^@byok/fake-upstream$': '<rootDir>/../../tools/fake-upstream/src/index.ts',
    '^@byok/test-idp$': '<rootDir>/../../tools/test-idp/src/index.ts',
  },
  // One stack (Redis, API process, Chromium) per file; its start-up is most of a file's time.
  testTimeout: 30_000,
};
