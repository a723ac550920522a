import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SCRIPT = path.join(import.meta.dirname, 'ensure-docker-engine.sh');

describe('ensure-docker-engine.sh apt_install', () => {
  it('tells apt-get to refuse unsigned repositories and unauthenticated packages', () => {
    // A stand-in apt-get that records its arguments, one call per line.
    const dir = mkdtempSync(path.join(tmpdir(), 'ensure-docker-engine-'));
    try {
      const calls = path.join(dir, 'calls');
      writeFileSync(path.join(dir, 'apt-get'), `#!/bin/sh\necho "$*" >>'${calls}'\n`);
      chmodSync(path.join(dir, 'apt-get'), 0o755);
      execFileSync('bash', ['-c', `source '${SCRIPT}'; require_root() { :; }; apt_install runsc`], {
        env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
        stdio: 'pipe',
      });
      const verify =
        '-o Acquire::AllowInsecureRepositories=false ' +
        '-o Acquire::AllowDowngradeToInsecureRepositories=false ' +
        '-o APT::Get::AllowUnauthenticated=false';
      expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual([
        `-q ${verify} update`,
        `-q ${verify} install -y runsc`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
