import Docker from 'dockerode';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { docker as sharedEngine } from './service.js';
import { until } from './until.js';

/**
 * A Docker engine of the tests' own (its own socket, data, exec root and pidfile), which they
 * may stop and start at will without touching the engine everyone else shares, nor the
 * host's network (it runs in a network namespace of its own). Needs `dockerd` and `unshare`
 * on PATH and root. Its data root is kept between runs, so the sandbox image is
 * copied into it only once.
 */
export class PrivateEngine {
  readonly socket: string;
  readonly dockerHost: string;
  readonly docker: Docker;
  private process: ChildProcess | undefined;

  constructor(readonly name = 'sce-ops-test') {
    this.socket = `/run/dockerd-${name}.sock`;
    this.dockerHost = `unix://${this.socket}`;
    this.docker = new Docker({ socketPath: this.socket });
  }

  /** Starts dockerd and waits until it answers. */
  async start(): Promise<void> {
    if (this.process) throw new Error('the private engine is already running');
    const config = `/tmp/${this.name}-daemon.json`;
    writeFileSync(config, '{}\n');
    mkdirSync(`/var/lib/docker-${this.name}`, { recursive: true });
    const log = openSync(`/tmp/${this.name}-dockerd.log`, 'a');
    // In a network namespace of its own: a dockerd without a bridge (--bridge=none) deletes
    // the host's docker0 as it starts, which the shared engine's image builds need.
    const child = spawn(
      'unshare',
      [
        '--net',
        '--',
        'dockerd',
        `--host=${this.dockerHost}`,
        `--data-root=/var/lib/docker-${this.name}`,
        `--exec-root=/run/docker-${this.name}`,
        `--pidfile=/run/docker-${this.name}.pid`,
        `--config-file=${config}`,
        '--bridge=none',
        '--iptables=false',
        '--ip-masq=false',
        `--cgroup-parent=/${this.name}`,
      ],
      { stdio: ['ignore', log, log] },
    );
    this.process = child;
    await until(
      'the private engine to answer',
      async () => {
        if (child.exitCode !== null) {
          this.process = undefined;
          throw new Error(`dockerd exited (${child.exitCode}); see /tmp/${this.name}-dockerd.log`);
        }
        return this.docker.ping().then(
          () => true,
          () => false,
        );
      },
      Boolean,
      { withinMs: 60_000, everyMs: 250 },
    );
  }

  /** Stops dockerd (SIGTERM) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = undefined;
    if (child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  }

  /** Freezes dockerd (SIGSTOP): its socket still accepts connections but nothing answers. */
  freeze(): void {
    this.process?.kill('SIGSTOP');
  }

  thaw(): void {
    this.process?.kill('SIGCONT');
  }

  /** Copies an image from the shared engine unless this engine has it already. */
  async ensureImage(image: string): Promise<void> {
    try {
      await this.docker.getImage(image).inspect();
      return;
    } catch {
      // not there yet
    }
    const tar = await sharedEngine.getImage(image).get();
    const load = await this.docker.loadImage(tar);
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(load, (error) => (error ? reject(error) : resolve()));
    });
  }
}
