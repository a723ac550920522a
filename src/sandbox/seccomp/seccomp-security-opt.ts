import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SeccompProfile } from './seccomp-profile.js';

/** profile.json beside this file (in dist/ too: nest-cli.json `assets` copies it). */
export const PROFILE_URL = new URL('./profile.json', import.meta.url);

/** The profile's text, compact: the engine takes the profile itself, not a path, on every create. */
export function loadSeccompProfile(url: URL = PROFILE_URL): string {
  let text: string;
  try {
    text = readFileSync(url, 'utf8');
  } catch (error) {
    throw new Error(
      `seccomp profile not found at ${fileURLToPath(url)} (npm run build copies it): ${String(error)}`,
    );
  }
  return JSON.stringify(JSON.parse(text) as SeccompProfile);
}

/** Read once, when the service starts. */
const SECCOMP_PROFILE = loadSeccompProfile();

/** HostConfig.SecurityOpt of every sandbox. */
export function sandboxSecurityOpt(): string[] {
  return ['no-new-privileges', `seccomp=${SECCOMP_PROFILE}`];
}
