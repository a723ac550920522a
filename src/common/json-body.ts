import { isUtf8 } from 'node:buffer';
import { assertJsonDepth } from './json-depth.js';

/** The one charset a JSON body may be in (RFC 8259 §8.1). */
export const JSON_CHARSET = 'utf-8';

/** What a 415 for another charset says, naming the one accepted. */
export function unsupportedCharsetMessage(charset: string): string {
  return `unsupported charset "${charset.toUpperCase()}": the body must be JSON in UTF-8`;
}

/** A JSON body declared in another charset; body-parser answers it with its `status` (415). */
export class UnsupportedCharsetError extends Error {
  readonly status = 415;
  readonly expose = true;
  readonly type = 'charset.unsupported';

  constructor(readonly charset: string) {
    super(unsupportedCharsetMessage(charset));
  }
}

/** A body that says UTF-8 but is not: a 400, not a program run with U+FFFD in its code. */
export class InvalidUtf8Error extends Error {
  readonly status = 400;
  readonly expose = true;
  readonly type = 'entity.encoding.invalid';

  constructor() {
    super('request body is not valid UTF-8');
  }
}

/**
 * body-parser's verify hook for JSON: it gets the (inflated) bytes and the charset the parser
 * is about to decode them with. Only UTF-8 goes on, and only valid UTF-8, so the nesting check,
 * which reads bytes, sees exactly the text JSON.parse will: in UTF-8 the bytes of `[ ] { } " \`
 * never occur inside another character. body-parser itself lets any `utf-*` through (UTF-7
 * writes brackets as base64, so a deep body passed the check and overflowed the stack: a 500).
 */
export function assertUtf8JsonBody(body: Buffer, charset: string | null): void {
  if (charset !== JSON_CHARSET) throw new UnsupportedCharsetError(charset ?? 'none');
  if (!isUtf8(body)) throw new InvalidUtf8Error();
  assertJsonDepth(body);
}
