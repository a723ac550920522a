/** Deepest nesting of arrays and objects a request body may have. `{"code": "..."}` is 1. */
export const MAX_JSON_DEPTH = 32;

/** A body nested too deeply; body-parser answers it with its `status` (400). */
export class JsonTooDeepError extends Error {
  readonly status = 400;
  readonly expose = true;
  readonly type = 'entity.too.deep';

  constructor(readonly limit: number) {
    super(`request body must not nest arrays or objects more than ${limit} levels deep`);
  }
}

/**
 * Rejects JSON nested deeper than `limit` before it is parsed. JSON.parse copes with deep
 * nesting, but class-transformer walks the parsed value recursively and overflows the stack
 * (a 500) at about 10,000 levels. One pass over the raw bytes, outside strings.
 */
export function assertJsonDepth(body: Buffer, limit = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === 0x5c /* \ */) i++;
      else if (byte === 0x22 /* " */) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b /* [ */ || byte === 0x7b /* { */) {
      if (++depth > limit) throw new JsonTooDeepError(limit);
    } else if (byte === 0x5d /* ] */ || byte === 0x7d /* } */) {
      depth--;
    }
  }
}
