import { describe, expect, it } from '@jest/globals';
import { availableParallelism } from 'node:os';
import { AppConfig, InvalidConfigError, loadAppConfig } from './app-config.js';

describe('loadAppConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadAppConfig({});
    expect(config).toBeInstanceOf(AppConfig);
    expect(config).toMatchObject({
      PORT: 5000,
      SANDBOX_TIMEOUT_MS: 5000,
      SANDBOX_MEMORY_MB: 128,
      SANDBOX_CPUS: 0.5,
      MAX_CODE_LENGTH: 5000,
      RATE_LIMIT: 30,
      RATE_LIMIT_WINDOW_MS: 60000,
    });
  });

  it('caps each client at two runs per core by default', () => {
    expect(loadAppConfig({}).CLIENT_MAX_INFLIGHT).toBe(2 * availableParallelism());
    expect(loadAppConfig({ CLIENT_MAX_INFLIGHT: '3' }).CLIENT_MAX_INFLIGHT).toBe(3);
  });

  it('converts numbers and ignores unknown variables', () => {
    const config = loadAppConfig({ PORT: '8080', SANDBOX_CPUS: '1.25', UNRELATED: 'x' });
    expect(config.PORT).toBe(8080);
    expect(config.SANDBOX_CPUS).toBe(1.25);
  });

  it.each([
    ['PORT', 'eighty'],
    ['SANDBOX_TIMEOUT_MS', '-1'],
    ['SANDBOX_MEMORY_MB', '1.5'],
    ['MAX_CODE_LENGTH', '0'],
    ['CLIENT_MAX_INFLIGHT', '0'],
    ['CLIENT_MAX_INFLIGHT', 'many'],
    ['SANDBOX_IMAGE', 'Not An Image'],
    ['LOG_LEVEL', 'loud'],
  ])('stops on a bad %s and names it', (name, value) => {
    expect(() => loadAppConfig({ [name]: value })).toThrow(InvalidConfigError);
    expect(() => loadAppConfig({ [name]: value })).toThrow(new RegExp(`${name}=`));
  });
});
