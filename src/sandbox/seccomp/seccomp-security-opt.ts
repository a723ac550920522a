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

/** The seccomp profile of every sandbox under `runtime`, as the engine takes it: its text. */
export function seccompProfileText(runtime: string): string {
  return runtime === 'runsc' ? PROFILE_TEXT.runsc : PROFILE_TEXT.runc;
}
