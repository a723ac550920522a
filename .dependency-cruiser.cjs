/**
 * Import rules of src/, checked by `npm run lint` (dependency-cruiser). docs/ARCHITECTURE.md
 * explains the module map these rules keep.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment:
        'Feature folders of src/ import each other in one direction only: a cycle between two folders means they are one feature, or one holds what belongs to a third.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-module-cycles',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'sandbox-through-its-public-face',
      comment: 'Outside src/sandbox/, import the sandbox module only through src/sandbox/index.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/sandbox/' },
      to: { path: '^src/sandbox/', pathNot: '^src/sandbox/index[.]ts$' },
    },
    {
      name: 'common-config-and-runtimes-are-leaves',
      comment:
        'common/, config/ and runtimes/ (the catalogue of languages, as data) serve every feature, so they import none.',
      severity: 'error',
      from: { path: '^src/(common|config|runtimes)/' },
      to: { path: '^src/', pathNot: '^src/(common|config|runtimes)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '[.]spec[.]ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
