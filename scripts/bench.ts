/**
 * `npm run bench`: how long a user waits for `print(2 + 2)`, side by side in one run on one machine:
 *
 * - the service (POST /run over HTTP), with its container pool and, for reference, without it;
 * - a cold `docker run --rm` with the very same image, command and limits (the original design:
 *   one container created and started per program). The docker CLI is spawned here, and only
 *   here, because that is literally what the original design did; its flags are derived from
 *   containerSpec so the limits cannot drift from the service's;
 * - a bare `python3` on the host (the floor: no container at all).
 *
 * Sequential latency (p50, p90) after a warm-up, then throughput at a fixed concurrency, then the
 * ratios with PASS/FAIL against the targets of docs/PERFORMANCE.md. A benchmark, not a test:
 * it starts the built service itself (dist/src/main.js) unless BENCH_URL points at a running one.
 *
 * Settings (environment): BENCH_URL, BENCH_RUNS (50), BENCH_WARMUP (5), BENCH_CONCURRENCY (4),
 * BENCH_CONCURRENT_RUNS (40), BENCH_POOL_OFF (1: also measure the service with SANDBOX_POOL_SIZE=0), BENCH_PAUSE_MS (250).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadAppConfig } from '../src/config/app-config.js';
import { toCreateOptions } from '../src/sandbox/engine/dockerode-engine.js';
import { frameProgram, PROGRAM_START_MARKER } from '../src/sandbox/launcher/launcher.js';
import { containerSpec } from '../src/sandbox/sandbox-policy.js';
import { command, machine } from './bench-kit/machine.js';
import {
  figuresTable,
  nonNegative,
  percentile,
  positive,
  timed,
  type Figures,
} from './bench-kit/measure.js';
import { BENCH_LABEL, BENCH_PROGRAM, benchPolicy, expectBenchOutput } from './bench-kit/sandbox.js';

const START_MARKER = String.fromCharCode(PROGRAM_START_MARKER);
const TARGET_P50_RATIO = 0.15;
const TARGET_THROUGHPUT_RATIO = 1;

const env = process.env;
const RUNS = positive(env.BENCH_RUNS, 50);
const WARMUP = positive(env.BENCH_WARMUP, 5);
const CONCURRENCY = positive(env.BENCH_CONCURRENCY, 4);
const CONCURRENT_RUNS = positive(env.BENCH_CONCURRENT_RUNS, 40);
/** Runs of the rows that are for reference only (not in the targets): back to back, pool off, host. */
const REFERENCE_RUNS = Math.max(1, Math.ceil(RUNS / 2));
/** Pause between sequential runs: a user reading the answer before the next run. */
const PAUSE_MS = nonNegative(env.BENCH_PAUSE_MS, 250);
const MEASURE_POOL_OFF = (env.BENCH_POOL_OFF ?? '1') !== '0' && !env.BENCH_URL;

interface Subject {
  name: string;
  /** Runs print(2 + 2) once; throws unless it printed 4. */
  once: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `runs` runs one at a time, `pauseMs` apart, after the warm-up. */
async function sequential(subject: Subject, runs = RUNS, pauseMs = PAUSE_MS): Promise<Figures> {
  for (let i = 0; i < WARMUP; i++) await subject.once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    await sleep(pauseMs);
    times.push(await timed(subject.once));
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p90: percentile(times, 90) };
}

/** Runs per second with CONCURRENCY runs in flight until CONCURRENT_RUNS are done. */
async function throughput(subject: Subject): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < CONCURRENT_RUNS) {
      next++;
      await subject.once();
    }
  };
  const elapsed = await timed(async () => {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  });
  return CONCURRENT_RUNS / (elapsed / 1000);
}

function serviceSubject(name: string, url: string): Subject {
  return {
    name,
    once: async () => {
      const response = await fetch(`${url}/run`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: BENCH_PROGRAM }),
      });
      const body = (await response.json()) as { output?: string; status?: string };
      if (response.status !== 200 || body.status !== 'success') {
        throw new Error(`POST /run answered ${response.status}: ${JSON.stringify(body)}`);
      }
      expectBenchOutput(body.output ?? '', 'the service');
    },
  };
}

/** `docker run --rm` flags equivalent to the service's create body (same image, command, limits). */
function dockerRunArgs(): string[] {
  const policy = benchPolicy();
  const options = toCreateOptions(
    containerSpec(policy, { labels: { [BENCH_LABEL]: 'cold' }, pooled: false }),
  );
  const host = options.HostConfig!;
  const args = ['run', '--rm', '-i', '--label', `${BENCH_LABEL}=cold`];
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

function coldDockerSubject(): Subject {
  const args = dockerRunArgs();
  const input = frameProgram(
    BENCH_PROGRAM,
    '',
    randomBytes(16).toString('hex'),
    benchPolicy().timeoutMs,
  );
  return {
    name: 'cold docker run --rm (CLI)',
    // The launcher marks the program's start with one byte on stdout and its end with a report
    // (the service strips both).
    once: async () =>
      expectBenchOutput(
        (await command('docker', args, input))
          .replace(START_MARKER, '')
          // eslint-disable-next-line no-control-regex -- the report is delimited by U+001E
          .replace(/\x1eSCE-END [^\x1e]*\x1e/g, ''),
        'docker run',
      ),
  };
}

function hostPythonSubject(): Subject {
  return {
    name: 'bare python3 on the host',
    once: async () => expectBenchOutput(await command('python3', ['-c', BENCH_PROGRAM]), 'python3'),
  };
}

interface StartedService {
  url: string;
  /** Stops the service; resolves with what it printed. */
  stop: () => Promise<string>;
}

async function startService(extraEnv: Record<string, string>): Promise<StartedService> {
  const main = join(import.meta.dirname, '..', 'src', 'main.js');
  const child = spawn(process.execPath, [main], {
    env: {
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      // One client sends every run here: neither its rate nor its runs in flight are the subject.
      RATE_LIMIT: '1000000',
      CLIENT_MAX_INFLIGHT: String(CONCURRENCY),
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`service exited (${code}):\n${output}`)));
  });
  return {
    url,
    stop: async () => {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      return output;
    },
  };
}

/** The engine's version as the docker CLI, which the cold row uses, reports it. */
async function dockerVersion(): Promise<string> {
  const version = command('docker', ['version', '--format', '{{.Server.Version}}']);
  return (await version.catch(() => '?')).trim();
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(await machine(await dockerVersion()));
  console.log(
    `program: ${BENCH_PROGRAM}; ${RUNS} sequential runs ${PAUSE_MS} ms apart after ${WARMUP} warm-up (${REFERENCE_RUNS} for the reference rows: back to back, pool off, host); ${CONCURRENT_RUNS} runs at concurrency ${CONCURRENCY}\n`,
  );
  const rows: [string, Figures][] = [];

  const pooled = env.BENCH_URL
    ? { url: env.BENCH_URL.replace(/\/$/, ''), stop: () => Promise.resolve('') }
    : await startService({});
  const poolSize = env.BENCH_URL ? '?' : String(loadAppConfig(env).SANDBOX_POOL_SIZE);
  let service: Figures;
  let poolCounts: string | undefined;
  try {
    const subject = serviceSubject(`service POST /run (pool ${poolSize})`, pooled.url);
    service = await sequential(subject);
    service.throughput = await throughput(subject);
    rows.push([subject.name, service]);
    if (PAUSE_MS > 0) {
      // Runs back to back outpace any refill (creating and starting a container costs more
      // than the run itself), so this row mostly shows the pool empty; reported for honesty.
      rows.push([`  same, back to back (no pause)`, await sequential(subject, REFERENCE_RUNS, 0)]);
    }
  } finally {
    const logs = await pooled.stop();
    poolCounts = /container pool closed: (\d+ hits, \d+ misses, \d+ idle containers died)/.exec(
      logs,
    )?.[1];
  }

  if (MEASURE_POOL_OFF) {
    const off = await startService({ SANDBOX_POOL_SIZE: '0' });
    try {
      const subject = serviceSubject('service POST /run (pool off)', off.url);
      const figures = await sequential(subject, REFERENCE_RUNS);
      figures.throughput = await throughput(subject);
      rows.push([subject.name, figures]);
    } finally {
      await off.stop();
    }
  }

  const coldSubject = coldDockerSubject();
  const cold = await sequential(coldSubject);
  cold.throughput = await throughput(coldSubject);
  rows.push([coldSubject.name, cold]);

  const hostSubject = hostPythonSubject();
  rows.push([hostSubject.name, await sequential(hostSubject, REFERENCE_RUNS)]);

  console.log(figuresTable(rows, CONCURRENCY));
  if (poolCounts) console.log(`\npool of the service, all its runs included: ${poolCounts}`);
  const p50Ratio = service.p50 / cold.p50;
  const throughputRatio = service.throughput / cold.throughput;
  const p50Pass = p50Ratio <= TARGET_P50_RATIO;
  const throughputPass = throughputRatio >= TARGET_THROUGHPUT_RATIO;
  console.log('');
  console.log(
    `p50 service / cold docker run:        ${p50Ratio.toFixed(3)} (target <= ${TARGET_P50_RATIO}) ${p50Pass ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `throughput service / cold docker run: ${throughputRatio.toFixed(2)} (target >= ${TARGET_THROUGHPUT_RATIO}) ${throughputPass ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `p50 service / bare host python3:     ${(service.p50 / rows.at(-1)![1].p50).toFixed(2)}`,
  );
  console.log(`bench took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (!p50Pass || !throughputPass) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
