import { describe, expect, it } from '@jest/globals';
import {
  GVISOR_HOST_TASKS,
  containerCreateOptions,
  hostPidsLimit,
  type SandboxPolicy,
} from './sandbox-policy.js';

const MIB = 1024 * 1024;
const policy = (runtime: string): SandboxPolicy => ({
  image: 'safe-code-executor-python:3.11',
  runtime,
  timeoutMs: 5000,
  memoryBytes: 128 * MIB,
  nanoCpus: 5e8,
  pidsLimit: 64,
  outputLimitBytes: 64 * 1024,
  tmpfsBytes: 16 * MIB,
  openFilesLimit: 256,
  fileSizeLimitBytes: 16 * MIB,
});

describe('containerCreateOptions', () => {
  it('gives runc the program’s PID limit as the pids cgroup, and no RLIMIT_NPROC', () => {
    const host = containerCreateOptions(policy('runc'), {}).HostConfig;
    expect(host?.PidsLimit).toBe(64);
    expect(host?.Ulimits?.map((u) => u.Name)).toEqual(['nofile', 'core', 'fsize']);
  });

  it('gives runsc room for gVisor’s own threads and enforces the PID limit as RLIMIT_NPROC', () => {
    const host = containerCreateOptions(policy('runsc'), {}).HostConfig;
    expect(host?.PidsLimit).toBe(GVISOR_HOST_TASKS.base + GVISOR_HOST_TASKS.perProgramProcess * 64);
    expect(host?.PidsLimit).toBe(hostPidsLimit(policy('runsc')));
    expect(host?.Ulimits).toContainEqual({ Name: 'nproc', Soft: 64, Hard: 64 });
  });

  it('allows no swap and keeps /tmp and /dev/shm inside the memory limit', () => {
    const host = containerCreateOptions(policy('runc'), {}).HostConfig;
    expect(host?.MemorySwap).toBe(host?.Memory);
    expect(host?.Tmpfs?.['/tmp']).toContain(`size=${16 * MIB}`);
    expect(host?.Tmpfs?.['/tmp']).toMatch(/noexec/);
    expect(host?.ShmSize).toBe(16 * MIB);
  });
});
