import { describe, expect, it } from '@jest/globals';
import { loadAppConfig } from '../config/app-config.js';
import { CONTAINER_LABELS } from './container-labels.js';
import { toCreateOptions } from './engine/dockerode-engine.js';
import { launcherCommand } from './launcher/launcher.js';
import { SANDBOX_CONFIG } from './sandbox.config.js';
import {
  GVISOR_HOST_TASKS,
  containerSpec,
  hostPidsLimit,
  maxLifetimeMs,
  sandboxPolicyFrom,
  type SandboxPolicy,
} from './sandbox-policy.js';

const { instance: INSTANCE_LABEL, managed: MANAGED_LABEL } = CONTAINER_LABELS;
const policyOf = (env: Record<string, string>) =>
  sandboxPolicyFrom(SANDBOX_CONFIG.from(loadAppConfig(env)));

/** What the engine is asked for: the policy's spec, in Docker's terms (as DockerodeEngine sends it). */
function containerCreateOptions(
  policy: SandboxPolicy,
  labels: Record<string, string>,
  pooled = false,
) {
  return toCreateOptions(containerSpec(policy, { labels, pooled }));
}

describe('SandboxPolicy', () => {
  const policy = policyOf({});

  it('has the defaults of the original design', () => {
    expect(policy).toMatchObject({
      image: 'safe-code-executor-python:3.11',
      runtime: 'runc',
      timeoutMs: 5000,
      memoryBytes: 128 * 1024 * 1024,
      nanoCpus: 500_000_000,
    });
  });

  it('turns into a locked-down container', () => {
    const options = containerCreateOptions(policy, { [INSTANCE_LABEL]: 'abc' });
    const host = options.HostConfig!;
    expect(host.NetworkMode).toBe('none');
    expect(options.NetworkDisabled).toBe(true);
    expect(host.Memory).toBe(128 * 1024 * 1024);
    expect(host.MemorySwap).toBe(host.Memory);
    expect(host.NanoCpus).toBe(500_000_000);
    expect(host.PidsLimit).toBe(policy.pidsLimit);
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd).toBeUndefined();
    expect(host.SecurityOpt).toContain('no-new-privileges');
    expect(host.Privileged).toBe(false);
    expect(host.Init).toBe(true);
    expect(host.Binds).toEqual([]);
    expect(host.Mounts).toEqual([]);
    expect(host.Tmpfs?.['/tmp']).toContain(`size=${policy.tmpfsBytes}`);
    expect(options.User).toBe('65534:65534');
    expect(options.Labels).toEqual({
      [INSTANCE_LABEL]: 'abc',
      [MANAGED_LABEL]: 'true',
      [CONTAINER_LABELS.maxLifetimeMs]: String(maxLifetimeMs(policy, false)),
    });
    expect(options.Cmd).toEqual(launcherCommand('python3'));
    expect(options.HostConfig?.LogConfig?.Type).toBe('none');
  });

  it('marks pooled containers, and gives every container a lifetime after which it is reaped', () => {
    const run = containerCreateOptions(policy, {});
    const pooled = containerCreateOptions(policy, {}, true);
    expect(pooled.Labels?.[CONTAINER_LABELS.pool]).toBe('warm');
    expect(run.Labels?.[CONTAINER_LABELS.pool]).toBeUndefined();
    const lifetime = (options: typeof run) =>
      Number(options.Labels?.[CONTAINER_LABELS.maxLifetimeMs]);
    // Long enough for the longest run a request may ask for (SANDBOX_MAX_TIMEOUT_MS).
    expect(lifetime(run)).toBeGreaterThan(policy.maxTimeoutMs);
    expect(lifetime(run)).toBeLessThanOrEqual(policy.maxTimeoutMs + 60_000);
    // A pooled container may first wait for its program, up to maxIdleMs.
    expect(lifetime(pooled)).toBe(lifetime(run) + policy.maxIdleMs);
  });

  it('passes none of the service environment into the sandbox', () => {
    const options = containerCreateOptions(policy, {});
    const names = (options.Env ?? []).map((entry) => entry.split('=')[0]);
    expect(names.sort()).toEqual(
      [
        'HOME',
        'LANG',
        'PATH',
        'PYTHONDONTWRITEBYTECODE',
        'PYTHONIOENCODING',
        'PYTHONUNBUFFERED',
      ].sort(),
    );
  });

  it('follows the configuration', () => {
    const custom = policyOf({
      SANDBOX_MEMORY_MB: '256',
      SANDBOX_CPUS: '1.5',
      SANDBOX_TIMEOUT_MS: '2000',
    });
    expect(custom).toMatchObject({
      memoryBytes: 256 * 1024 * 1024,
      nanoCpus: 1_500_000_000,
      timeoutMs: 2000,
    });
  });
});

const MIB = 1024 * 1024;
const policy = (runtime: string): SandboxPolicy => ({
  language: 'python',
  image: 'safe-code-executor-python:3.11',
  command: launcherCommand('python3'),
  env: [],
  compileTimeoutMs: 0,
  execWorkDir: false,
  maxTimeoutMs: 30_000,
  runMemoryBytes: 128 * MIB,
  compileMemoryBytes: 0,
  resizable: runtime !== 'runsc',
  runtime,
  timeoutMs: 5000,
  memoryBytes: 128 * MIB,
  nanoCpus: 5e8,
  pidsLimit: 64,
  outputLimitBytes: 64 * 1024,
  tmpfsBytes: 16 * MIB,
  openFilesLimit: 256,
  fileSizeLimitBytes: 16 * MIB,
  maxIdleMs: 600_000,
  outMaxFiles: 20,
  outMaxBytes: 1024 * 1024,
});

describe('the container spec, per runtime', () => {
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
