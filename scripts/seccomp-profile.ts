/**
 * Writes the sandbox's seccomp profile, src/sandbox/seccomp/profile.json, from Docker's default
 * (src/sandbox/seccomp/docker-default.json) minus the calls in DENIED_SYSCALLS.
 *
 *   npm run build && npm run seccomp:profile
 *
 * To follow a newer Docker default: replace docker-default.json with the release's file, update
 * DOCKER_DEFAULT_SOURCE (tag, commit, SHA-256), run this, review the diff (docs/SECURITY.md).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { profileFrom, type SeccompProfile } from '../src/sandbox/seccomp/seccomp-profile.js';

const SECCOMP_DIR = path.join('src', 'sandbox', 'seccomp');

/** The checkout's root, found from this file whether it runs from dist/ or not. */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, SECCOMP_DIR, 'docker-default.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find ${SECCOMP_DIR}/docker-default.json`);
    dir = parent;
  }
  return dir;
}

const dir = path.join(projectRoot(), SECCOMP_DIR);
const dockerDefault = JSON.parse(
  readFileSync(path.join(dir, 'docker-default.json'), 'utf8'),
) as SeccompProfile;
writeFileSync(
  path.join(dir, 'profile.json'),
  JSON.stringify(profileFrom(dockerDefault), null, 2) + '\n',
);
console.log(`wrote ${path.join(dir, 'profile.json')}`);
