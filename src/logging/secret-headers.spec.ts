import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { SECRET_HEADER_PATHS } from './secret-headers.js';

describe('SECRET_HEADER_PATHS', () => {
  it('makes pino log every credential-carrying header as [Redacted], and the rest as is', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ redact: SECRET_HEADER_PATHS }, sink);
    logger.info({
      req: {
        headers: {
          authorization: 'Bearer secret-1',
          'x-api-key': 'secret-2',
          'proxy-authorization': 'Basic secret-3',
          cookie: 'session=secret-4',
          'user-agent': 'curl/8',
        },
      },
      res: { headers: { 'set-cookie': ['session=secret-5'], 'content-type': 'text/html' } },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/secret-\d/);
    const entry = JSON.parse(lines[0]) as {
      req: { headers: Record<string, string> };
      res: { headers: Record<string, string> };
    };
    expect(entry.req.headers).toEqual({
      authorization: '[Redacted]',
      'x-api-key': '[Redacted]',
      'proxy-authorization': '[Redacted]',
      cookie: '[Redacted]',
      'user-agent': 'curl/8',
    });
    expect(entry.res.headers).toEqual({ 'set-cookie': '[Redacted]', 'content-type': 'text/html' });
  });
});
