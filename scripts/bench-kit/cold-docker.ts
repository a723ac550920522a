/**
 * A cold `docker run --rm` of the service's sandbox: the original design, one container created
 * and started per program. The docker CLI is spawned here, and only here, because that is
 * literally what the original design did; its flags are derived from containerSpec of the
 * runtime's policy, so the image, command and limits cannot drift from the service's.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCreateOptions } from '../../src/sandbox/engine/dockerode-engine.js';
import { frameProgram, PROGRAM_START_MARKER } from '../../src/sandbox/launcher/launcher.js';
import { containerSpec, type SandboxPolicy } from '../../src/sandbox/sandbox-policy.js';
import { command } from './machine.js';
import { BENCH_LABEL } from './sandbox.js';

const START_MARKER = String.fromCharCode(PROGRAM_START_MARKER);

/**
 * `docker run --rm` flags equivalent to the service's create body under `policy` (same image,
 * command, limits); the container carries BENCH_LABEL=`label`.
 */
export function dockerRunArgs(policy: SandboxPolicy, label: string): string[] {
  const options = toCreateOptions(
    containerSpec(policy, { labels: { [BENCH_LABEL]: label }, pooled: false }),
  );
  const host = options.HostConfig!;
  const args = ['run', '--rm', '-i', '--label', `${BENCH_LABEL}=${label}`];
  args.push('--runtime', host.Runtime!, '--network', 'none');
  args.push('--memory', `${host.Memory}b`, '--memory-swap', `${host.MemorySwap}b`);
  args.push('--cpus', String(host.NanoCpus! / 1e9), '--pids-limit', String(host.PidsLimit));
  args.push('--read-only');
  for (const [path, mountOptions] of Object.entries(host.Tmpfs ?? {})) {
    args.push('--tmpfs', `${path}:${mountOptions}`);
  }
  args.push('--shm-size', `${host.ShmSize}b`, '--cap-drop', 'ALL');
  for (const opt of (host.SecurityOpt ?? []) as string[]) {
    // The engine API takes the seccomp profile's text; the CLI takes a file.
    if (opt.startsWith('seccomp=')) {
      const file = join(tmpdir(), `sce-bench-seccomp-${process.pid}.json`);
      writeFileSync(file, opt.slice('seccomp='.length));
      args.push('--security-opt', `seccomp=${file}`);
    } else {
      args.push('--security-opt', opt);
    }
  }
  args.push('--init', '--ipc', 'private', '--cgroupns', 'private');
  for (const u of host.Ulimits ?? []) args.push('--ulimit', `${u.Name}=${u.Soft}:${u.Hard}`);
  args.push('--log-driver', 'none', '--oom-score-adj', String(host.OomScoreAdj));
  args.push('--user', options.User!, '--workdir', options.WorkingDir!);
  args.push('--hostname', options.Hostname!);
  for (const variable of options.Env ?? []) args.push('--env', variable);
  args.push(options.Image!, ...(options.Cmd as string[]));
  return args;
}

/**
 * Runs `code` once in a cold `docker run --rm` under `policy`, framed for the launcher as the
 * service frames it (the container's stdin carries the program), and resolves with its stdout.
 * The launcher marks the program's start with one byte on stdout and its end with a report;
 * both are taken off, as the service takes them off.
 */
export function coldDockerRun(
  policy: SandboxPolicy,
  label: string,
): (code: string) => Promise<string> {
  const args = dockerRunArgs(policy, label);
  return async (code) => {
    const input = frameProgram(code, '', randomBytes(16).toString('hex'), policy.timeoutMs);
    return (
      (await command('docker', args, input))
        .replace(START_MARKER, '')
        // eslint-disable-next-line no-control-regex -- the report is delimited by U+001E
        .replace(/\x1eSCE-END [^\x1e]*\x1e/g, '')
    );
  };
}
