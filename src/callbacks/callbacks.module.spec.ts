import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { DomainError } from '../common/domain-error.js';
import { loadAppConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import {
  CALLBACK_DISPATCHER,
  CALLBACK_RETRY_POLICY,
  CallbackGate,
  CallbacksModule,
  CallbackUrlRule,
} from './index.js';
import { InMemoryCallbackDispatcher } from './callback-dispatcher.js';

async function moduleWith(env: Record<string, string>) {
  return Test.createTestingModule({
    imports: [ConfigModule.forRoot(loadAppConfig(env)), CallbacksModule],
  }).compile();
}

describe('CallbacksModule', () => {
  it('provides the in-memory dispatcher, the retry policy and the configured allow-list', async () => {
    const app = await moduleWith({
      CALLBACK_SECRET: 'x'.repeat(16),
      CALLBACK_ALLOWED_HOSTS: '10.0.0.0/8',
      CALLBACK_MAX_ATTEMPTS: '3',
      CALLBACK_BACKOFF_MS: '500',
    });
    expect(app.get(CALLBACK_DISPATCHER)).toBeInstanceOf(InMemoryCallbackDispatcher);
    expect(app.get(CALLBACK_RETRY_POLICY)).toEqual({
      maxAttempts: 3,
      baseDelayMs: 500,
      maxDelayMs: 60_000,
    });
    const rule = app.get(CallbackUrlRule);
    expect(rule.validate('http://10.1.2.3/hook')).toBe(true);
    expect(rule.validate('http://192.168.1.1/hook')).toBe(false);
    expect(() => app.get(CallbackGate).assertEnabled()).not.toThrow();
    await app.close();
  });

  it('without CALLBACK_SECRET, the gate refuses callbacks with callbacks_disabled', async () => {
    const app = await moduleWith({});
    const gate = app.get(CallbackGate);
    expect(gate.enabled).toBe(false);
    let error: unknown;
    try {
      gate.assertEnabled();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'callbacks_disabled',
      message: expect.stringMatching(/CALLBACK_SECRET/),
    });
    await app.close();
  });
});
