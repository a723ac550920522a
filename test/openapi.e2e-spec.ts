import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { compileErrors, validate } from '@readme/openapi-parser';
import request from 'supertest';
import { startService, type RunningService } from './support/service.js';

interface Operation {
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema: { $ref?: string } }> }
  >;
  security?: Record<string, string[]>[];
  description?: string;
}

describe('the OpenAPI document at /docs-json', () => {
  let t: RunningService;
  let document: {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    components: {
      schemas: Record<
        string,
        { properties: Record<string, Record<string, unknown>>; required?: string[] }
      >;
      securitySchemes: Record<string, Record<string, unknown>>;
    };
  };

  beforeAll(async () => {
    t = await startService();
    const response = await request(t.url).get('/docs-json').expect(200);
    document = response.body;
  });

  afterAll(async () => {
    expect(await t.stop()).toBe(0);
  });

  it('is a valid OpenAPI 3 document', async () => {
    expect(document.openapi).toMatch(/^3\./);
    // validate() dereferences in place, so give it a copy.
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
    expect(result.specification).toBe('OpenAPI');
  });

  it('describes every answer of POST /run with its schema', () => {
    const run = document.paths['/run'].post;
    expect(Object.keys(run.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '413',
      '415',
      '429',
      '503',
    ]);
    expect(run.responses['200'].content?.['application/json'].schema.$ref).toBe(
      '#/components/schemas/RunResponseDto',
    );
    for (const status of ['400', '401', '413', '415', '429', '503']) {
      expect(run.responses[status].content?.['application/json'].schema.$ref).toBe(
        '#/components/schemas/ErrorResponseDto',
      );
      expect(run.responses[status].description.length).toBeGreaterThan(10);
    }
    expect(Object.keys((run.responses['429'] as { headers?: object }).headers ?? {})).toEqual([
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
      'Retry-After',
    ]);
  });

  it('documents each field with a description, an example and its limits', () => {
    const { RunRequestDto, RunResponseDto, ErrorResponseDto } = document.components.schemas;
    expect(RunRequestDto.required).toEqual(['code']);
    expect(RunRequestDto.properties.code).toMatchObject({
      type: 'string',
      minLength: 1,
      maxLength: 5000,
      example: 'print(2 + 2)',
    });
    expect(RunRequestDto.properties.stdin.description).toContain('At most 65536 bytes');
    for (const field of [
      'output',
      'stdout',
      'stderr',
      'exitCode',
      'status',
      'durationMs',
      'truncated',
    ]) {
      expect(RunResponseDto.properties[field].description).toEqual(expect.any(String));
    }
    expect(RunResponseDto.properties.status.enum).toEqual([
      'success',
      'runtime_error',
      'timeout',
      'memory_exceeded',
      'output_limit_exceeded',
      'compile_error',
    ]);
    for (const field of ['statusCode', 'message', 'error']) {
      expect(ErrorResponseDto.properties[field].example).toBeDefined();
    }
  });

  it('declares the API key schemes, so the Authorize button can send a key', () => {
    expect(document.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      'api-key': expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
    });
    expect(document.paths['/run'].post.security).toEqual([{ bearer: [] }, { 'api-key': [] }]);
  });

  it('documents live output (text/event-stream) and the interactive WebSocket in prose', () => {
    const events = document.paths['/runs/{id}/events'].get;
    expect(Object.keys(events.responses['200'].content ?? {})).toEqual(['text/event-stream']);
    expect(events.responses).toHaveProperty('204');
    expect(events.responses).toHaveProperty('429');
    const interactive = document.paths['/runs/interactive'].get;
    for (const message of ['"type":"start"', '"type":"stdin"', 'stdin_close', '"type":"kill"']) {
      expect(interactive.description).toContain(message);
    }
    expect(interactive.responses).toHaveProperty('426');
  });

  it('documents the languages, files and limits of a request, and what a run used', () => {
    const { RunRequestDto, RunFileDto, RunLimitsDto, RunResponseDto } = document.components.schemas;
    expect(RunRequestDto.properties.language).toMatchObject({
      enum: ['python', 'python-scientific', 'javascript', 'bash', 'c', 'cpp', 'ruby', 'php'],
      default: 'python',
    });
    expect(RunRequestDto.properties.files).toMatchObject({
      type: 'array',
      items: { $ref: '#/components/schemas/RunFileDto' },
    });
    expect(RunRequestDto.properties.limits).toMatchObject({
      allOf: [{ $ref: '#/components/schemas/RunLimitsDto' }],
    });
    expect(Object.keys(RunFileDto.properties).sort()).toEqual(['content', 'encoding', 'name']);
    expect(Object.keys(RunLimitsDto.properties).sort()).toEqual(['memoryMb', 'timeoutMs']);
    for (const field of ['cpuMs', 'memoryPeakMb', 'compileMs', 'files', 'filesTruncated']) {
      expect(RunResponseDto.properties[field]).toBeDefined();
    }
    expect(RunResponseDto.properties.status.enum).toContain('compile_error');
    const runtimes = document.paths['/runtimes'].get;
    expect(runtimes.responses['200'].content?.['application/json'].schema).toMatchObject({
      type: 'array',
      items: { $ref: '#/components/schemas/RuntimeDto' },
    });
  });
});
