import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { forGvisor, type SeccompProfile } from './seccomp-profile.js';

/** profile.json beside this file (in dist/ too: nest-cli.json `assets` copies it). */
export const PROFILE_URL = new URL('./profile.json', import.meta.url);

export function loadSeccompProfile(url: URL = PROFILE_URL): SeccompProfile {
  let text: string;
  try {
    text = readFileSync(url, 'utf8');
  } catch (error) {
    throw new Error(
      `seccomp profile not found at ${fileURLToPath(url)} (npm run build copies it): ${String(error)}`,
    );
  }
  return JSON.parse(text) as SeccompProfile;
}

/** Read once, when the service starts; compact, as the engine gets the text on every create. */
const profile = loadSeccompProfile();
const PROFILE_TEXT = { runc: JSON.stringify(profile), runsc: JSON.stringify(forGvisor(profile)) };

/** HostConfig.SecurityOpt of every sandbox (the engine takes the profile's text, not a path). */
export function sandboxSecurityOpt(runtime: string): string[] {
  const text = runtime === 'runsc' ? PROFILE_TEXT.runsc : PROFILE_TEXT.runc;
  return ['no-new-privileges', `seccomp=${text}`];
}
