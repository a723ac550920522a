import { describe, expect, it } from '@jest/globals';
import type { ContainerCreateOptions } from 'dockerode';
import { Duplex } from 'node:stream';
import { loadAppConfig } from '../config/app-config.js';
import type {
  ContainerEngine,
  ContainerExit,
  ContainerSummary,
} from './engine/container-engine.js';
import { EngineUnavailableError, SandboxContainerLostError } from './sandbox.errors.js';
import { SandboxService } from './sandbox.service.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/**
 * An engine whose one container "runs" a scripted program: on stdin end it emits `output`
 * and exits with `exitCode`, unless `hang` is set, in which case only a kill ends it.
 */
class FakeEngine implements ContainerEngine {
  created: ContainerCreateOptions[] = [];
  removed: string[] = [];
  killed: string[] = [];
  received = '';
  private exit: () => void = () => undefined;
  private stream?: Duplex;

  constructor(
    private readonly script: {
      output?: Buffer[];
      exitCode?: number;
      oomKilled?: boolean;
      hang?: boolean;
      failStart?: boolean;
      lost?: boolean;
      /** Report this exit status in-band (program-end.ts) and keep running, like a daemon. */
      report?: { exitCode: number; oomKills: number };
    },
  ) {}

  ping = () => Promise.resolve();
  imageExists = () => Promise.resolve(true);
  runtimes = () => Promise.resolve(['runc']);
  list = (): Promise<ContainerSummary[]> => Promise.resolve([]);

  create(options: ContainerCreateOptions): Promise<string> {
    this.created.push(options);
    return Promise.resolve(`c${this.created.length}`);
  }

  attach(): Promise<Duplex> {
    const chunks: Buffer[] = [];
    const stream = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _encoding, done) => {
        chunks.push(chunk);
        done();
      },
      final: (done) => {
        this.received = Buffer.concat(chunks).toString();
        // The launcher's start marker comes first, as from the real one.
        stream.push(frame(1, '\u0006'));
        if (this.script.report) {
          const token = this.received.split('\n')[0].split(' ')[1];
          const { exitCode, oomKills } = this.script.report;
          const report = `\x1eSCE-END ${token} ${exitCode} ${oomKills}\x1e`;
          for (const part of this.script.output ?? []) stream.push(part);
          stream.push(frame(1, report));
          stream.push(frame(2, report));
          done();
          return;
        }
        if (!this.script.hang) {
          for (const part of this.script.output ?? []) stream.push(part);
          setImmediate(() => this.finish());
        }
        done();
      },
    });
    this.stream = stream;
    return Promise.resolve(stream);
  }

  private finish(): void {
    this.stream?.push(null);
    this.exit();
  }

  start(): Promise<void> {
    return this.script.failStart
      ? Promise.reject(new EngineUnavailableError('ECONNREFUSED'))
      : Promise.resolve();
  }

  waitForExit(): Promise<void> {
    return new Promise((resolve) => (this.exit = resolve));
  }

  inspectExit(id: string): Promise<ContainerExit> {
    if (this.script.lost) return Promise.reject(new SandboxContainerLostError(id));
    const killed = this.killed.length > 0;
    return Promise.resolve({
      exitCode: killed ? 137 : (this.script.exitCode ?? 0),
      oomKilled: this.script.oomKilled ?? false,
    });
  }

  kill(id: string): Promise<void> {
    this.killed.push(id);
    setImmediate(() => this.finish());
    return Promise.resolve();
  }

  remove(id: string): Promise<void> {
    this.removed.push(id);
    return Promise.resolve();
  }
}

function serviceWith(engine: FakeEngine, env: Record<string, string> = {}): SandboxService {
  // No pool: these tests follow one container made for the run.
  return new SandboxService(engine, loadAppConfig({ SANDBOX_POOL_SIZE: '0', ...env }));
}

describe('SandboxService limits and clean-up (fake engine, no pool)', () => {
  it('sends the framed program, collects output and removes the container', async () => {
    const engine = new FakeEngine({ output: [frame(1, '4\n')] });
    const service = serviceWith(engine);
    const result = await service.run({ code: 'print(2 + 2)', stdin: 'in' });
    await service.onApplicationShutdown(); // removal happens after the answer; shutdown awaits it
    expect(engine.received).toMatch(/^12 [0-9a-f]{32}\nprint\(2 \+ 2\)in$/);
    expect(result).toMatchObject({ output: '4', status: 'success', exitCode: 0 });
    expect(engine.removed).toEqual(['c1']);
    expect(engine.created[0].Labels?.['safe-code-executor.instance']).toBeDefined();
  });

  it('kills the container at the time limit and reports a timeout', async () => {
    const engine = new FakeEngine({ hang: true });
    const service = serviceWith(engine, { SANDBOX_TIMEOUT_MS: '200' });
    const result = await service.run({ code: 'x' });
    await service.onApplicationShutdown();
    expect(engine.killed).toEqual(['c1']);
    expect(result).toMatchObject({ status: 'timeout', exitCode: null });
    expect(engine.removed).toEqual(['c1']);
  });

  it('kills the container as soon as output passes the limit', async () => {
    const engine = new FakeEngine({
      output: [frame(1, 'x'.repeat(1024)), frame(1, 'y')],
      exitCode: 0,
    });
    const result = await serviceWith(engine, { SANDBOX_OUTPUT_LIMIT_BYTES: '1024' }).run({
      code: 'x',
    });
    expect(engine.killed).toEqual(['c1']);
    expect(result.truncated).toBe(true);
    expect(result.stdout).toBe('x'.repeat(1024));
  });

  it('kills the container when the caller aborts', async () => {
    const engine = new FakeEngine({ hang: true });
    const controller = new AbortController();
    const service = serviceWith(engine);
    const running = service.run({ code: 'x' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await running;
    await service.onApplicationShutdown();
    expect(engine.killed).toEqual(['c1']);
    expect(engine.removed).toEqual(['c1']);
  });

  it('removes the container when the engine fails mid-run, and reports the domain error', async () => {
    const engine = new FakeEngine({ failStart: true });
    const service = serviceWith(engine);
    await expect(service.run({ code: 'x' })).rejects.toBeInstanceOf(EngineUnavailableError);
    await service.onApplicationShutdown();
    expect(engine.removed).toEqual(['c1']);
  });

  it('reports a container removed from outside mid-run as lost, not as a result', async () => {
    const engine = new FakeEngine({ output: [frame(1, 'partial')], lost: true });
    const service = serviceWith(engine);
    await expect(service.run({ code: 'x' })).rejects.toBeInstanceOf(SandboxContainerLostError);
    await service.onApplicationShutdown();
    expect(engine.removed).toEqual(['c1']);
  });

  it('answers from the launcher’s end report without waiting for the exit, then kills', async () => {
    const engine = new FakeEngine({
      output: [frame(1, 'bye\n')],
      report: { exitCode: 2, oomKills: 0 },
    });
    const service = serviceWith(engine);
    const result = await service.run({ code: 'x' });
    expect(result).toMatchObject({ output: 'bye', exitCode: 2, status: 'runtime_error' });
    await service.onApplicationShutdown();
    expect(engine.killed).toEqual(['c1']);
    expect(engine.removed).toEqual(['c1']);
  });

  it('leaves the verdict to the engine when the report counts an OOM kill', async () => {
    const engine = new FakeEngine({ report: { exitCode: 0, oomKills: 1 }, oomKilled: true });
    const service = serviceWith(engine);
    const running = service.run({ code: 'x' });
    setTimeout(() => void engine.kill('c1'), 50); // the container's exit, as the engine sees it
    expect(await running).toMatchObject({ status: 'memory_exceeded', exitCode: null });
    await service.onApplicationShutdown();
  });
});
