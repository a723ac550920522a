import { createHash, timingSafeEqual } from 'node:crypto';

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
