import { afterEach, describe, expect, it } from '@jest/globals';
import type { ContainerCreateOptions } from 'dockerode';
import { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/app-config.js';
import { POOL_LABEL } from './container-pool.js';
import type { ContainerEngine, ContainerExit } from './engine/container-engine.js';
import { PROGRAM_START_MARKER } from './sandbox-policy.js';
import { SandboxService } from './sandbox.service.js';

/** One frame of Docker's multiplexed stream. */
function frame(stream: 1 | 2, payload: Buffer | string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

type Behaviour = 'runs' | 'dead';

/**
 * A scripted engine: a container either runs its program (the launcher's start marker, then
 * "4") or is already dead when its program arrives (no output, SIGKILL's exit code).
 */
class ScriptedEngine implements ContainerEngine {
  readonly created: { id: string; labels: Record<string, string> }[] = [];
  readonly removed: string[] = [];
  /** Behaviour of the containers to create next, in order; then 'runs'. */
  readonly script: Behaviour[] = [];
  private readonly behaviour = new Map<string, Behaviour>();
  private readonly exitCodes = new Map<string, number>();
  private readonly exits = new Map<string, () => void>();
  private readonly exited = new Map<string, Promise<void>>();

  ping = () => Promise.resolve();
  imageExists = () => Promise.resolve(true);
  runtimes = () => Promise.resolve(['runc']);

  create(options: ContainerCreateOptions): Promise<string> {
    const id = `c${this.created.length + 1}`;
    this.created.push({ id, labels: options.Labels ?? {} });
    this.behaviour.set(id, this.script.shift() ?? 'runs');
    this.exited.set(id, new Promise((resolve) => this.exits.set(id, resolve)));
    return Promise.resolve(id);
  }

  attach(id: string): Promise<Duplex> {
    const stream: Duplex = new Duplex({
      read: () => undefined,
      write: (_chunk, _encoding, done) => done(),
      final: (done) => {
        if (this.behaviour.get(id) === 'runs') {
          stream.push(frame(1, Buffer.from([PROGRAM_START_MARKER])));
          stream.push(frame(1, '4\n'));
          this.exitCodes.set(id, 0);
        } else {
          this.exitCodes.set(id, 137);
        }
        stream.push(null);
        this.exits.get(id)!();
        done();
      },
    });
    return Promise.resolve(stream);
  }

  start = () => Promise.resolve();
  waitForExit = (id: string) => this.exited.get(id)!;

  inspectExit(id: string): Promise<ContainerExit> {
    return Promise.resolve({ exitCode: this.exitCodes.get(id) ?? null, oomKilled: false });
  }

  kill = () => Promise.resolve();

  remove(id: string): Promise<void> {
    this.removed.push(id);
    this.exits.get(id)?.();
    return Promise.resolve();
  }

  list = () => Promise.resolve([]);
}

function config(poolSize: number): AppConfig {
  const c = new AppConfig();
  c.SANDBOX_POOL_SIZE = poolSize;
  return c;
}

describe('SandboxService with its container pool', () => {
  const services: SandboxService[] = [];
  function serviceOf(engine: ScriptedEngine, poolSize: number): SandboxService {
    const service = new SandboxService(engine, config(poolSize));
    services.push(service);
    service.onApplicationBootstrap();
    return service;
  }

  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.onApplicationShutdown()));
  });

  it('runs the program in an idle pooled container and takes the start marker off the output', async () => {
    const engine = new ScriptedEngine();
    const service = serviceOf(engine, 1);
    while (service.poolStats().idle < 1) await sleep(1);

    const result = await service.run({ code: 'print(2 + 2)' });
    expect(result).toMatchObject({ output: '4', stdout: '4\n', exitCode: 0, status: 'success' });
    expect(engine.created[0].labels[POOL_LABEL]).toBe('warm');
    expect(service.poolStats()).toMatchObject({ hits: 1, misses: 0 });
  });

  it('runs the program again in a new container when the pooled one was dead before it started', async () => {
    const engine = new ScriptedEngine();
    engine.script.push('dead');
    const service = serviceOf(engine, 1);
    while (service.poolStats().idle < 1) await sleep(1);

    const result = await service.run({ code: 'print(2 + 2)' }, { labels: { request: 'r1' } });
    expect(result).toMatchObject({ output: '4', exitCode: 0, status: 'success' });
    const retry = engine.created.find((c) => c.labels.request === 'r1');
    expect(retry).toBeDefined();
    expect(retry!.labels[POOL_LABEL]).toBeUndefined();
    await service.onApplicationShutdown();
    expect(engine.removed).toEqual(expect.arrayContaining(['c1', retry!.id]));
  });

  it('does not run a program twice when a container made for it fails before the start', async () => {
    const engine = new ScriptedEngine();
    engine.script.push('dead');
    const service = serviceOf(engine, 0);

    const result = await service.run({ code: 'print(2 + 2)' });
    expect(result).toMatchObject({ output: '', exitCode: 137, status: 'runtime_error' });
    expect(engine.created).toHaveLength(1);
  });
});
