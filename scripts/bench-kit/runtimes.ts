/**
 * The runtimes section of `npm run bench`: a hello world in every language of the catalogue
 * whose image is on the engine, through the service with a warm pool for every runtime
 * (POST /run), and in a cold `docker run --rm` of the same image with the same command and
 * limits (cold-docker.ts, from containerSpec of that runtime's policy), measured in the same run.
 *
 * The two are alternated run by run, and which goes first alternates too, so that drift of a
 * shared machine hits both alike. Every timed run starts `pauseMs` after the previous one and
 * once the service's pools are full again (at most POOL_REFILL_WAIT_MS): the service's run is
 * then a pool hit, as for a user who reads the answer, and the pool's refill after it does not
 * compete with the next cold run for the CPUs.
 *
 * Target: an interpreted runtime's service p50 at most TARGET_RATIO of its cold p50. A compiled
 * runtime (C, C++) compiles in every run, in both, so it has no target on the ratio; the table
 * states its compile and run time apart instead (p50 of `compileMs` and `durationMs` of the
 * service's answers).
 */
import { RUNTIMES, type RuntimeDefinition } from '../../src/runtimes/runtime-catalogue.js';
import type { SandboxPolicy } from '../../src/sandbox/sandbox-policy.js';
import { coldDockerRun } from './cold-docker.js';
import { command } from './machine.js';
import { percentile, timed, type Figures } from './measure.js';
import { benchPolicy } from './sandbox.js';
import {
  poolCounts,
  poolLine,
  postRun,
  startService,
  untilPoolsFull,
  type PoolCounts,
  type StartedService,
} from './services.js';

export const TARGET_RATIO = 0.2;

/** Longest a timed run waits for the pools to refill before it starts anyway. */
const POOL_REFILL_WAIT_MS = 5_000;

/** What every hello world prints. */
const HELLO_OUTPUT = 'hello, world';

/** A hello world in each language of the catalogue. */
export const HELLO_PROGRAMS: Readonly<Record<string, string>> = {
  python: 'print("hello, world")',
  'python-scientific': 'print("hello, world")',
  javascript: 'console.log("hello, world");',
  bash: 'echo "hello, world"',
  c: '#include <stdio.h>\nint main(void) { puts("hello, world"); return 0; }',
  cpp: '#include <iostream>\nint main() { std::cout << "hello, world" << std::endl; }',
  ruby: 'puts "hello, world"',
  php: '<?php echo "hello, world\\n";',
};

export interface RuntimesOptions {
  /** Timed runs of each subject per runtime. */
  runs: number;
  /** Untimed runs of each subject per runtime first. */
  warmup: number;
  /** Pause before each timed run. */
  pauseMs: number;
  /** Only these runtimes (names of the catalogue); all when empty. */
  only: readonly string[];
  /** A running service to measure instead of starting one (its pools are what it has). */
  url?: string;
  /** CLIENT_MAX_INFLIGHT of the service started. */
  clientMaxInflight: number;
}

interface Measured {
  runtime: RuntimeDefinition;
  service: Figures;
  cold: Figures;
  compileP50?: number;
  runP50: number;
}

interface Skipped {
  runtime: RuntimeDefinition;
  reason: string;
  /** Measured but failed (the engine is shared: an image may be rebuilt under the bench). */
  failed?: boolean;
}

function compiled(runtime: RuntimeDefinition): boolean {
  return runtime.launch.kind === 'exec' && runtime.launch.compile !== undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function figures(times: number[]): Figures {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90) };
}

function expectHello(output: string, what: string): void {
  if (output.trim() !== HELLO_OUTPUT) throw new Error(`${what} printed ${JSON.stringify(output)}`);
}

async function imagePresent(image: string): Promise<boolean> {
  return command('docker', ['image', 'inspect', '--format', '{{.Id}}', image]).then(
    () => true,
    () => false,
  );
}

/** The runtimes to measure: those asked for whose image is on the engine; the others, skipped. */
async function select(
  only: readonly string[],
): Promise<{ present: [RuntimeDefinition, SandboxPolicy][]; skipped: Skipped[] }> {
  const unknown = only.filter((name) => !RUNTIMES.some((runtime) => runtime.language === name));
  if (unknown.length > 0) {
    const known = RUNTIMES.map((runtime) => runtime.language).join(', ');
    throw new Error(`BENCH_RUNTIMES names ${unknown.join(', ')}; known: ${known}`);
  }
  const present: [RuntimeDefinition, SandboxPolicy][] = [];
  const skipped: Skipped[] = [];
  for (const runtime of RUNTIMES) {
    if (only.length > 0 && !only.includes(runtime.language)) continue;
    const policy = benchPolicy(process.env, runtime);
    if (await imagePresent(policy.image)) {
      present.push([runtime, policy]);
    } else {
      skipped.push({
        runtime,
        reason: `image ${policy.image} is not on the engine; build it with \`npm run sandbox:ensure -- --runtime ${runtime.language}\` (or \`--all\`)`,
      });
    }
  }
  return { present, skipped };
}

/** Warm pools: two containers for python (as the service's default), one for every other runtime. */
function poolSizes(present: readonly [RuntimeDefinition, SandboxPolicy][]): string {
  return RUNTIMES.map((runtime) => {
    const size = present.some(([p]) => p === runtime) ? (runtime.language === 'python' ? 2 : 1) : 0;
    return `${runtime.language}=${size}`;
  }).join(',');
}

/** One runtime: service and cold docker run, alternated, after the warm-up of both. */
async function measure(
  service: { url: string },
  runtime: RuntimeDefinition,
  policy: SandboxPolicy,
  { runs, warmup, pauseMs }: RuntimesOptions,
): Promise<Measured> {
  const code = HELLO_PROGRAMS[runtime.language];
  const cold = coldDockerRun(policy, 'runtimes');
  const serviceTimes: number[] = [];
  const coldTimes: number[] = [];
  const compileTimes: number[] = [];
  const runTimes: number[] = [];
  const viaService = async (timedRun: boolean) => {
    let answer: Awaited<ReturnType<typeof postRun>> | undefined;
    const ms = await timed(async () => {
      answer = await postRun(service.url, { language: runtime.language, code });
    });
    expectHello(answer?.output ?? '', `POST /run (${runtime.language})`);
    if (!timedRun) return;
    serviceTimes.push(ms);
    runTimes.push(answer?.durationMs ?? NaN);
    if (answer?.compileMs !== undefined) compileTimes.push(answer.compileMs);
  };
  const viaDocker = async (timedRun: boolean) => {
    let output = '';
    const ms = await timed(async () => {
      output = await cold(code);
    });
    expectHello(output, `docker run (${runtime.language})`);
    if (timedRun) coldTimes.push(ms);
  };
  for (let i = 0; i < warmup + runs; i++) {
    const timedRun = i >= warmup;
    const order = i % 2 === 0 ? [viaService, viaDocker] : [viaDocker, viaService];
    for (const once of order) {
      await sleep(pauseMs);
      await untilPoolsFull(service, POOL_REFILL_WAIT_MS);
      await once(timedRun);
    }
  }
  return {
    runtime,
    service: figures(serviceTimes),
    cold: figures(coldTimes),
    runP50: figures(runTimes).p50,
    ...(compileTimes.length > 0 ? { compileP50: figures(compileTimes).p50 } : {}),
  };
}

const ms = (n: number | undefined, width = 10) =>
  (n === undefined || Number.isNaN(n) ? '-' : `${n.toFixed(1)} ms`).padStart(width);

/** The section's table and whether every interpreted runtime met the target. */
function table(measured: Measured[], skipped: Skipped[]): { text: string; pass: boolean } {
  const header =
    `${'hello world'.padEnd(19)}${'service p50'.padStart(12)}${'p90'.padStart(10)}` +
    `${'cold p50'.padStart(11)}${'p90'.padStart(10)}${'ratio'.padStart(7)}` +
    `${'compile'.padStart(10)}${'run'.padStart(9)}  target (ratio = service / cold p50)`;
  let pass = true;
  const lines = measured.map(({ runtime, service, cold, compileP50, runP50 }) => {
    const ratio = service.p50 / cold.p50;
    let verdict: string;
    if (compiled(runtime)) {
      verdict = 'compiled: none (both compile every run)';
    } else {
      const ok = ratio <= TARGET_RATIO;
      pass &&= ok;
      verdict = `<= ${TARGET_RATIO} ${ok ? 'PASS' : 'FAIL'}`;
    }
    return (
      `${runtime.language.padEnd(19)}${ms(service.p50, 12)}${ms(service.p90)}` +
      `${ms(cold.p50, 11)}${ms(cold.p90)}${ratio.toFixed(3).padStart(7)}` +
      `${ms(compileP50)}${ms(runP50, 9)}  ${verdict}`
    );
  });
  for (const { runtime, reason, failed } of skipped) {
    pass &&= !failed;
    lines.push(`${runtime.language.padEnd(19)}${failed ? 'FAILED' : 'skipped'}: ${reason}`);
  }
  return { text: [header, ...lines].join('\n'), pass };
}

/**
 * Measures the section and returns what to print: a heading, the table (service and cold p50
 * and p90; for every runtime the p50 of the service's `durationMs`, "run", and for compiled
 * ones of its `compileMs`, "compile"), the pool's hits and misses over the section, and whether
 * every interpreted runtime met the target.
 */
export async function runtimesSection(
  options: RuntimesOptions,
): Promise<{ text: string; pass: boolean }> {
  const { present, skipped } = await select(options.only);
  const sizes = poolSizes(present);
  const heading =
    `runtimes: a hello world per runtime, ${options.runs} runs of each after ${options.warmup} warm-up, ` +
    `service and cold docker run alternated, ${options.pauseMs} ms apart and with the pools full\n` +
    `service: ${options.url ?? `started with SANDBOX_POOL_SIZES=${sizes}`}\n`;
  if (present.length === 0) return { text: heading + table([], skipped).text, pass: true };

  const service: StartedService | { url: string; stop: () => Promise<void> } = options.url
    ? { url: options.url, stop: () => Promise.resolve() }
    : await startService('the service, every runtime warm', {
        SANDBOX_POOL_SIZES: sizes,
        CLIENT_MAX_INFLIGHT: String(options.clientMaxInflight),
      });
  const measured: Measured[] = [];
  let before: PoolCounts | undefined;
  let after: PoolCounts | undefined;
  try {
    if (!(await untilPoolsFull(service, 60_000))) {
      throw new Error('the service did not fill its pools within 60 s');
    }
    before = await poolCounts(service);
    for (const [runtime, policy] of present) {
      try {
        measured.push(await measure(service, runtime, policy, options));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        skipped.push({ runtime, reason: message.split('\n')[0], failed: true });
      }
    }
    after = await poolCounts(service);
  } finally {
    await service.stop();
  }
  const result = table(measured, skipped);
  const counts =
    before && after
      ? { hits: after.hits - before.hits, misses: after.misses - before.misses }
      : undefined;
  return {
    text:
      `${heading}${result.text}\n\n` +
      `compile, run: p50 of the service's compileMs and durationMs (the program's own time after compiling)\n` +
      `pools of the service over this section: ${poolLine(counts)}`,
    pass: result.pass,
  };
}
