import { describe, expect, it } from '@jest/globals';
import type { OpenAPIObject } from '@nestjs/swagger';
import { documentRunLimits } from './run-api-limits.js';

function document(): OpenAPIObject {
  return {
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    paths: {},
    components: {
      schemas: {
        RunRequestDto: {
          type: 'object',
          properties: {
            code: { type: 'string', description: 'The program.' },
            stdin: { type: 'string', description: 'Input.' },
          },
        },
      },
    },
  };
}

describe('documentRunLimits', () => {
  it('writes the configured limits into the request schema', () => {
    const result = documentRunLimits(document(), {
      MAX_CODE_LENGTH: 1234,
      MAX_STDIN_BYTES: 99,
      BODY_LIMIT_BYTES: 4096,
    });
    const schema = result.components?.schemas?.RunRequestDto as {
      description: string;
      properties: Record<string, { minLength?: number; maxLength?: number; description: string }>;
    };
    expect(schema.properties.code).toMatchObject({ minLength: 1, maxLength: 1234 });
    expect(schema.properties.code.description).toBe('The program. At most 1234 characters.');
    expect(schema.properties.stdin.description).toBe('Input. At most 99 bytes once UTF-8 encoded.');
    expect(schema.description).toContain('4096 bytes');
  });

  it('fails loudly when the DTO is missing, rather than documenting nothing', () => {
    expect(() =>
      documentRunLimits(
        { openapi: '3.0.0', info: { title: 't', version: '1' }, paths: {} },
        { MAX_CODE_LENGTH: 1, MAX_STDIN_BYTES: 1, BODY_LIMIT_BYTES: 1 },
      ),
    ).toThrow(/RunRequestDto/);
  });
});
