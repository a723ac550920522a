import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';

const ROOT = join(import.meta.dirname, '..');
const rules = createRequire(import.meta.url)(
  join(ROOT, '.dependency-cruiser.cjs'),
) as IConfiguration;

async function violationsIn(folder: string, cwd: string): Promise<string[]> {
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    const { output } = await cruise([folder], {
      ...rules.options,
      validate: true,
      ruleSet: { forbidden: rules.forbidden },
      tsConfig: { fileName: join(ROOT, 'tsconfig.json') },
    });
    return (output as ICruiseResult).summary.violations.map(
      (v) => `${v.rule.name}: ${v.from} -> ${v.to}`,
    );
  } finally {
    process.chdir(previous);
  }
}

// `npm run lint` runs the same rules (.dependency-cruiser.cjs) with depcruise.
describe('import rules of src/', () => {
  it('are kept by src/ today', async () => {
    expect(await violationsIn('src', ROOT)).toEqual([]);
  });

  it('catch a cycle between two folders', async () => {
    const violations = await violationsIn('src', join(ROOT, 'test', 'fixtures', 'folder-cycle'));
    expect(violations).toEqual(
      expect.arrayContaining([expect.stringMatching(/^no-folder-cycles: src\/(alpha|beta) -> /)]),
    );
  });
});
