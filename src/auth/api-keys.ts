import { createHash, timingSafeEqual } from 'node:crypto';

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

/** The headers a request may carry a key in (lower-case, as Node gives them). */
export interface KeyHeaders {
  authorization?: string | string[];
  'x-api-key'?: string | string[];
}

/**
 * The key a request presents: `Authorization: Bearer <key>` first, else `X-API-Key: <key>`.
 * Undefined when it presents none.
 */
export function presentedKey(headers: KeyHeaders): string | undefined {
  const authorization = single(headers.authorization);
  const bearer =
    authorization === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer) return bearer[1];
  const header = single(headers['x-api-key'])?.trim();
  return header === '' ? undefined : header;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The configured keys, compared in constant time. Each key is stored only as its SHA-256
 * digest, and a presented key is compared with every configured digest (no early exit), so the
 * time taken says nothing about how close a guess was or which key matched.
 */
export class ApiKeyRing {
  private readonly digests: Buffer[];

  constructor(keys: string[]) {
    this.digests = keys.map(digest);
  }

  /** True when keys are configured, so POST /run needs one. */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /**
   * A stable, non-secret name of the matching key (the first 16 hex digits of its SHA-256),
   * used as its rate-limit bucket; undefined when the key matches none.
   */
  identify(key: string | undefined): string | undefined {
    if (key === undefined) return undefined;
    const presented = digest(key);
    let match: Buffer | undefined;
    for (const known of this.digests) {
      if (timingSafeEqual(presented, known)) match = known;
    }
    return match?.toString('hex').slice(0, 16);
  }
}
