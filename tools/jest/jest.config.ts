export default {
  displayName: 'jest-support',
  preset: '../../jest.preset.js',
  roots: ['<rootDir>/test'],
  // The fixtures are Jest runs of their own, started by the spec.
  testPathIgnorePatterns: ['/fixtures/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  moduleFileExtensions: ['ts', 'js'],
  testTimeout: 120_000,
};
