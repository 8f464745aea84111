/**
 * Packages published as ES modules only (openid-client and what it imports). Node loads them
 * from the compiled CommonJS API by itself; Jest's module system cannot, so they are compiled
 * to CommonJS for the tests.
 */
const ESM_ONLY = ['openid-client', 'oauth4webapi', 'jose'];

/** What both projects share: TypeScript through ts-jest, and the workspace libraries from source. */
const shared = {
  // The workspace's: a run fails when a test leaves a handle open (after the leak audit's setup, before its teardown).
  preset: '../../jest.preset.js',
  // Absolute: inline projects would resolve '.' against the directory Jest was started from.
  rootDir: __dirname,
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', target: 'es2022' }, isolatedModules: true, diagnostics: false },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js'],
  moduleNameMapper: {
    '^@byok/contracts$': '<rootDir>/../../libs/contracts/src/index.ts',
    '^@byok/fake-upstream$': '<rootDir>/../../tools/fake-upstream/src/index.ts',
    '^@byok/test-idp$': '<rootDir>/../../tools/test-idp/src/index.ts',
  },
};

/**
 * Unit tests (`src/**`, no process or socket of their own, clocks injected) and integration tests
 * (`test/**`, real Redis, real HTTP) as two projects: `--selectProjects api-unit` runs the first
 * alone in seconds.
 */
export default {
  projects: [
    { ...shared, displayName: 'api-unit', roots: ['<rootDir>/src'] },
    { ...shared, displayName: 'api-integration', roots: ['<rootDir>/test'] },
  ],
  testTimeout: 30_000,
  // In band, as the preset has it for single-project configs: it is a run-wide option.
  maxWorkers: 1,
  // Every key the tests use is searched for in every log, Redis value and payload of the run.
  globalSetup: '<rootDir>/test/reliability/leak-audit/global-setup.ts',
  globalTeardown: '<rootDir>/test/reliability/leak-audit/global-teardown.ts',
};
