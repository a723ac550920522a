// Nest 12 ships ES modules only, so Jest runs in its native ESM mode
// (see the "test" script: --experimental-vm-modules). End-to-end tests do not import the app:
// they start the built service (dist/) as its own process, exactly as `npm start` does.
const tsJest = ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }];

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
};

export default {
  // Programs in the end-to-end suites run up to the 5 s sandbox limit, several per test.
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/scripts/**/*.spec.ts'],
      setupFiles: ['reflect-metadata'],
    },
    {
      ...common,
      displayName: 'e2e',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
