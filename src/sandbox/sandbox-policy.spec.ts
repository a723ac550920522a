/* eslint-disable no-control-regex -- the launcher's end report is delimited by U+001E */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
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
  it('frames the program length in UTF-8 bytes and the end token, then the code, then stdin', () => {
    expect(frameProgram('print("é")', 'x\n', 'ab12').toString()).toBe('11 ab12\nprint("é")x\n');
  });

  // The launcher is Python; run it with the host's python3 to check it end to end.
  function launch(program: string, stdin = '') {
    const script = LAUNCHER_SOURCE.replaceAll(
      '"/tmp/main.py"',
      `"/tmp/launcher-spec-${process.pid}.py"`,
    );
    const run = spawnSync('python3', ['-I', '-S', '-c', script], {
      input: frameProgram(program, stdin, 'f00d'),
    });
    return { stdout: run.stdout.toString(), stderr: run.stderr.toString(), status: run.status };
  }
  /** The end report (program-end.ts); the OOM count depends on the host, so any number. */
  const report = (status: number) => new RegExp(`\x1eSCE-END f00d ${status} -?\\d+\x1e$`);

  it('hands the program exactly its own stdin, between its start marker and its end report', () => {
    const run = launch('import sys\nprint(repr(sys.stdin.read()))', 'line 1\nline 2 😀');
    expect(run.stdout.startsWith("\u0006'line 1\\nline 2 😀'\n\x1eSCE-END f00d 0 ")).toBe(true);
    expect(run.stdout).toMatch(report(0));
    expect(run.stderr).toMatch(report(0));
    expect(run.status).toBe(0);
  });

  it('reports the exit status after the program’s own atexit handlers and threads', () => {
    const run = launch(
      [
        'import atexit, sys, threading, time',
        'atexit.register(lambda: print("atexit ran"))',
        'threading.Thread(target=lambda: (time.sleep(0.2), print("thread done"))).start()',
        'sys.exit(3)',
      ].join('\n'),
    );
    expect(run.stdout).toMatch(/thread done\natexit ran\n\x1eSCE-END f00d 3 /);
    expect(run.stderr).toMatch(report(3));
    expect(run.status).toBe(3);
  });

  it('reports 1 after the traceback of an uncaught exception', () => {
    const run = launch('raise ValueError("boom")');
    expect(run.stderr).toMatch(/ValueError: boom\n\x1eSCE-END f00d 1 -?\d+\x1e$/);
    expect(run.status).toBe(1);
  });

  it('reports nothing when the program leaves without the interpreter’s exit (os._exit)', () => {
    const run = launch('import os\nprint("bye", flush=True)\nos._exit(4)');
    expect(run.stdout).toBe('\u0006bye\n');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(4);
  });

  it('reports nothing from a forked child, only from the program itself', () => {
    const run = launch(
      'import os\nif os.fork() == 0:\n    raise SystemExit(7)\nos.wait()\nprint("parent")',
    );
    expect(run.stdout.match(/SCE-END/g)).toHaveLength(1);
    expect(run.stdout).toMatch(/parent\n\x1eSCE-END f00d 0 /);
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
