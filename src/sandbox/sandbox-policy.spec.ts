import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { loadAppConfig } from '../config/app-config.js';
import {
  GVISOR_HOST_TASKS,
  INSTANCE_LABEL,
  LAUNCHER_SOURCE,
  MANAGED_LABEL,
  containerCreateOptions,
  frameProgram,
  hostPidsLimit,
  sandboxPolicyFrom,
  type SandboxPolicy,
} from './sandbox-policy.js';

describe('SandboxPolicy', () => {
  const policy = sandboxPolicyFrom(loadAppConfig({}));

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
    expect(options.Labels).toEqual({ [INSTANCE_LABEL]: 'abc', [MANAGED_LABEL]: 'true' });
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
    const custom = sandboxPolicyFrom(
      loadAppConfig({ SANDBOX_MEMORY_MB: '256', SANDBOX_CPUS: '1.5', SANDBOX_TIMEOUT_MS: '2000' }),
    );
    expect(custom).toMatchObject({
      memoryBytes: 256 * 1024 * 1024,
      nanoCpus: 1_500_000_000,
      timeoutMs: 2000,
    });
  });
});

describe('the launcher', () => {
  it('frames the program length in UTF-8 bytes, then the code, then stdin', () => {
    expect(frameProgram('print("é")', 'x\n').toString()).toBe('11\nprint("é")x\n');
  });

  // The launcher is Python; run it with the host's python3 to check the framing end to end.
  it('hands the program exactly its own stdin', () => {
    const script = LAUNCHER_SOURCE.replace(
      '/tmp/main.py',
      `/tmp/launcher-spec-${process.pid}.py`,
    ).replaceAll('"/tmp/main.py"', `"/tmp/launcher-spec-${process.pid}.py"`);
    const program = 'import sys\nprint(repr(sys.stdin.read()))';
    const output = execFileSync('python3', ['-I', '-S', '-c', script], {
      input: frameProgram(program, 'line 1\nline 2 😀'),
    }).toString();
    // The launcher marks the program's start with one byte (0x06) on stdout; the service strips it.
    expect(output).toBe("\u0006'line 1\\nline 2 😀'\n");
  });
});

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
