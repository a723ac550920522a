/** API_KEYS: how the setting is read and checked. The keys' use is auth/'s. */

/** Shortest key accepted in API_KEYS: shorter ones could be guessed. */
export const MIN_API_KEY_LENGTH = 16;

/** Splits API_KEYS (comma-separated, blanks around commas ignored). Empty or unset: no keys. */
export function parseApiKeys(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
}

/** Problems with API_KEYS, for the start-up check; empty when the keys are fine. */
export function apiKeyProblems(keys: string[]): string[] {
  const problems: string[] = [];
  keys.forEach((key, index) => {
    if (key.length < MIN_API_KEY_LENGTH) {
      problems.push(
        `key #${index + 1} is ${key.length} characters; use at least ${MIN_API_KEY_LENGTH}`,
      );
    }
    if (!/^[\x21-\x7e]+$/.test(key)) {
      problems.push(`key #${index + 1} must be printable ASCII without spaces`);
    }
  });
  return problems;
}
