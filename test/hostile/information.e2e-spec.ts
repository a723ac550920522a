import { expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { informationAttacks } from './cases/information.js';
import { hostileSuite } from './hostile-suite.js';
import { runProgram } from '../support/run.js';

// The cases are in cases/information.ts (shared with npm run experiments).
// Here the service also holds a secret in its environment, which no program may find.
const CANARY = `canary-${randomUUID()}`;

hostileSuite('information', informationAttacks, {
  env: { HOSTILE_CANARY_SECRET: CANARY },
  extra: (service) => {
    it('finds no trace of a secret in the service’s environment', async () => {
      const result = await runProgram(
        service().url,
        [
          'import os',
          'found = [k for k, v in os.environ.items() if "canary" in v]',
          'for pid in os.listdir("/proc"):',
          '    try:',
          '        if pid.isdigit() and b"canary" in open(f"/proc/{pid}/environ", "rb").read():',
          '            found.append(pid)',
          '    except OSError:',
          '        pass',
          'print("found", found)',
        ].join('\n'),
      );
      expect(result.output).toBe('found []');
      expect(JSON.stringify(result)).not.toContain(CANARY);
    });
  },
});
