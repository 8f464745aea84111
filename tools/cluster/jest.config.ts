export default {
  displayName: 'cluster',
  preset: '../../jest.preset.js',
  rootDir: '.',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  moduleFileExtensions: ['ts', 'js'],
  moduleNameMapper: {
    '^@byok/contracts$': '<rootDir>/../../libs/contracts/src/index.ts',
    '^@byok/fake-upstream$': '<rootDir>/../fake-upstream/src/index.ts',
  },
  testTimeout: 90_000,
};
