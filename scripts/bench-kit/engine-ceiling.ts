/**
 * The engine's own ceiling: how many bare sandbox cycles (create, attach, start, send the
 * program, wait for the exit, remove) one Docker engine completes per second at a given
 * concurrency. Every run of the service costs at least one such cycle on its engine, so no
 * service on that engine, however many workers it has, can beat this rate; bench:scale sets the
 * service's throughput beside it.
 *
 * The cycle goes through the engine API with dockerode, as the service does (no CLI process per
 * run), with the create body of the service's cold path: toCreateOptions(containerSpec(policy)),
 * so image, command, environment and limits cannot drift from the service's.
 */
import type Docker from 'dockerode';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { CONTAINER_LABELS } from '../../src/sandbox/container-labels.js';
import { inBodyOnly, toCreateOptions } from '../../src/sandbox/engine/dockerode-engine.js';
import {
  END_TOKEN_LENGTH,
  frameProgram,
  PROGRAM_START_MARKER,
} from '../../src/sandbox/launcher/launcher.js';
import { OutputCollector } from '../../src/sandbox/output-collector.js';
import { containerSpec, type SandboxPolicy } from '../../src/sandbox/sandbox-policy.js';
import { percentile, timed, type Figures } from './measure.js';
import { BENCH_LABEL, BENCH_PROGRAM, benchPolicy, expectBenchOutput } from './sandbox.js';

export interface EngineCeilingOptions {
  /** Cycles in flight at once. */
  concurrency: number;
  /** Cycles measured (after the warm-up). */
  runs: number;
  /** Cycles run one at a time before measuring (image layers and runtime in the page cache). */
  warmup?: number;
  /** The sandbox policy; by default the service's own under this process's environment. */
  policy?: SandboxPolicy;
  /** Stops starting new cycles; those in flight finish and are removed, then it rejects. */
  signal?: AbortSignal;
}

/** p50 and p90 of one cycle (ms), and cycles per second at the concurrency. */
export interface EngineCeiling extends Figures {
  throughput: number;
}

/** BENCH_LABEL's value on this measurement's containers. */
const BENCH_NAME = 'engine-ceiling';

export async function measureEngineCeiling(
  docker: Docker,
  { concurrency, runs, warmup = 3, policy = benchPolicy(), signal }: EngineCeilingOptions,
): Promise<EngineCeiling> {
  // An instance id of its own: the containers carry the service's labels (managed, the max
  // lifetime), so a service's reaper would remove any this process leaves behind if it dies,
  // and no service instance ever takes them for its own.
  const labels = {
    [CONTAINER_LABELS.instance]: `bench-${randomUUID()}`,
    [BENCH_LABEL]: BENCH_NAME,
  };
  const options = toCreateOptions(containerSpec(policy, { labels, pooled: false }));
  const cycle = () => sandboxCycle(docker, options, policy);
  try {
    for (let i = 0; i < warmup; i++) {
      signal?.throwIfAborted();
      await cycle();
    }
    const times: number[] = [];
    let started = 0;
    let failure: Error | undefined;
    const worker = async () => {
      while (started < runs && failure === undefined && !signal?.aborted) {
        started++;
        try {
          times.push(await timed(cycle));
        } catch (error) {
          failure ??= error instanceof Error ? error : new Error(String(error));
        }
      }
    };
    // Every worker runs to its end, even after a failure elsewhere, so that no create is
    // still on its way when the sweep below lists what is left.
    const elapsed = await timed(async () => {
      await Promise.all(Array.from({ length: concurrency }, worker));
    });
    if (failure !== undefined) throw failure;
    signal?.throwIfAborted();
    times.sort((a, b) => a - b);
    return {
      p50: percentile(times, 50),
      p90: percentile(times, 90),
      throughput: runs / (elapsed / 1000),
    };
  } finally {
    await removeLabelled(docker, labels);
  }
}

/**
 * One cycle, in the order of the service's cold path (prepareContainer, then ProgramRun): the
 * attach and the exit watch are made before start (the engine delivers a container's streams
 * reliably only to attaches made before it starts), then the framed program goes to stdin.
 * Ends once the engine reports the exit and the container is removed; throws unless the
 * program printed 4 and the launcher exited cleanly.
 */
async function sandboxCycle(
  docker: Docker,
  options: Docker.ContainerCreateOptions,
  policy: SandboxPolicy,
): Promise<void> {
  const container = await docker.createContainer(inBodyOnly(options));
  let stream: Duplex | undefined;
  try {
    const endToken = randomBytes(END_TOKEN_LENGTH / 2).toString('hex');
    // The service's own demultiplexer: it takes the start marker and the end report off.
    const output = new OutputCollector(
      policy.outputLimitBytes,
      () => undefined,
      PROGRAM_START_MARKER,
      endToken,
    );
    stream = (await container.attach({
      stream: true,
      hijack: true,
      stdin: true,
      stdout: true,
      stderr: true,
    })) as Duplex;
    stream.on('data', (data: Buffer) => output.write(data));
    const drained = once(stream, 'end');
    const exited = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
    await container.start();
    stream.end(frameProgram(BENCH_PROGRAM, '', endToken, policy.timeoutMs));
    const [{ StatusCode }] = await Promise.all([exited, drained]);
    const { stdout, stderr } = output.result();
    if (StatusCode !== 0) throw new Error(`the launcher exited ${StatusCode}: ${stderr}`);
    expectBenchOutput(stdout, 'a bare engine cycle');
  } finally {
    stream?.destroy();
    await container.remove({ force: true, v: true });
  }
}

/** Removes every container with these labels (what a failed or interrupted cycle left). */
async function removeLabelled(docker: Docker, labels: Record<string, string>): Promise<void> {
  const left = await docker.listContainers({
    all: true,
    filters: { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) },
  });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
}
