import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { useContainer, validate } from 'class-validator';
import { loadAppConfig } from '../config/app-config.js';
import { RunRequestDto } from './dto/run-request.dto.js';
import { CodeLengthRule, StdinSizeRule } from './program-limits.js';

const config = loadAppConfig({ MAX_CODE_LENGTH: '10', MAX_STDIN_BYTES: '4' });
// The rules are providers in the app; here a tiny container hands them the config.
useContainer({
  get: <T>(type: new (...args: never[]) => T): T => {
    if ((type as unknown) === CodeLengthRule) return new CodeLengthRule(config) as T;
    if ((type as unknown) === StdinSizeRule) return new StdinSizeRule(config) as T;
    return new type();
  },
});

async function messages(body: object): Promise<string[]> {
  const errors = await validate(plainToInstance(RunRequestDto, body));
  return errors.flatMap((e) => Object.values(e.constraints ?? {}));
}

describe('RunRequestDto validation', () => {
  it('accepts code at the limit, in ASCII and in astral characters', async () => {
    expect(await messages({ code: 'a'.repeat(10) })).toEqual([]);
    expect(await messages({ code: '😀'.repeat(10) })).toEqual([]);
  });

  it('rejects code over the limit with a message naming the limit', async () => {
    expect(await messages({ code: '😀'.repeat(11) })).toEqual([
      'code must be at most 10 characters (got 11)',
    ]);
  });

  it('rejects empty and non-string code', async () => {
    expect(await messages({ code: '' })).toEqual(['code must not be empty']);
    expect(await messages({ code: 5 })).toContain('code must be a string');
  });

  it('limits stdin in UTF-8 bytes', async () => {
    expect(await messages({ code: 'x', stdin: 'abcd' })).toEqual([]);
    expect(await messages({ code: 'x', stdin: 'abé' })).toEqual([]);
    expect(await messages({ code: 'x', stdin: 'abcé' })).toEqual([
      'stdin must be at most 4 bytes of UTF-8 (got 5)',
    ]);
  });
});
