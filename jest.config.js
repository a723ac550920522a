// Nest 12 ships ES modules only, so Jest runs in its native ESM mode
// (see the "test" script: --experimental-vm-modules).
const tsJest = [
  'ts-jest',
  {
    useESM: true,
    tsconfig: 'tsconfig.json',
    // The same Swagger plugin that `nest build` runs, so tests see the same OpenAPI document.
    astTransformers: {
      before: [
        {
          path: '@nestjs/swagger/plugin',
          options: { introspectComments: true, classValidatorShim: true },
        },
      ],
    },
  },
];

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
};

export default {
  projects: [
    { ...common, displayName: 'unit', rootDir: '.', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      testTimeout: 60000,
    },
  ],
};
