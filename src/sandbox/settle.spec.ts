import { describe, expect, it } from '@jest/globals';
import { loadAppConfig } from '../config/app-config.js';
import { findRuntime } from '../runtimes/runtime-catalogue.js';
import { SANDBOX_CONFIG } from './sandbox.config.js';
import { sandboxPolicyFrom } from './sandbox-policy.js';
import { settle } from './sandbox.service.js';

const MIB = 1024 * 1024;
const policyOf = (language: string, env: Record<string, string> = {}) =>
  sandboxPolicyFrom(SANDBOX_CONFIG.from(loadAppConfig(env)), findRuntime(language));

describe('settle: a run’s limits in its container', () => {
  it('takes the runtime’s defaults, in a pooled container as it is', () => {
    expect(settle(policyOf('python'))).toEqual({
      plan: { timeoutMs: 5000 },
      memoryBytes: 128 * MIB,
      pooled: true,
    });
  });

  it('gives a pooled container the request’s memory before the program is sent (runc)', () => {
    expect(settle(policyOf('javascript'), { timeoutMs: 900, memoryMb: 300 })).toEqual({
      plan: { timeoutMs: 900, memoryBeforeBytes: 300 * MIB },
      memoryBytes: 128 * MIB,
      pooled: true,
    });
  });

  it('makes a container with the request’s memory where running ones cannot change (gVisor)', () => {
    const policy = policyOf('python', { SANDBOX_RUNTIME: 'runsc' });
    expect(settle(policy, { memoryMb: 300 })).toEqual({
      plan: { timeoutMs: 5000 },
      memoryBytes: 300 * MIB,
      pooled: false,
    });
    expect(settle(policy, { memoryMb: 128 }).pooled).toBe(true);
  });

  it('compiles with the compiler’s memory, then runs with the program’s (runc)', () => {
    const policy = policyOf('c');
    expect(policy.memoryBytes).toBe(256 * MIB);
    expect(settle(policy)).toEqual({
      plan: { timeoutMs: 5000, memoryAfterCompileBytes: 128 * MIB },
      memoryBytes: 256 * MIB,
      pooled: true,
    });
    expect(settle(policy, { memoryMb: 256 }).plan).toEqual({ timeoutMs: 5000 });
  });

  it('under gVisor, compiles and runs with the larger of the two', () => {
    const policy = policyOf('cpp', { SANDBOX_RUNTIME: 'runsc' });
    expect(settle(policy)).toEqual({
      plan: { timeoutMs: 5000 },
      memoryBytes: 256 * MIB,
      pooled: true,
    });
    expect(settle(policy, { memoryMb: 512 })).toEqual({
      plan: { timeoutMs: 5000 },
      memoryBytes: 512 * MIB,
      pooled: false,
    });
  });

  it('lowers a runtime’s own default to the operator’s cap', () => {
    const policy = policyOf('python-scientific', { SANDBOX_MAX_MEMORY_MB: '300' });
    expect(policy.runMemoryBytes).toBe(300 * MIB);
  });
});
