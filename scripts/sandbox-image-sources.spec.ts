import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  APT_VERIFY_OPTIONS,
  aptInstallArgs,
  aptUpdateArgs,
  buildOnRegistryBase,
  DEBIAN_KEYRING,
  debootstrapArgs,
  ensureDebianKeyring,
  ensureDebootstrap,
  FatalError,
  isDigestPinned,
  PINNED_REGISTRY_BASE,
  registryBase,
  type HostTools,
  type RegistryBuildSteps,
} from './sandbox-image-sources.js';

const DIGEST = 'a'.repeat(64);

describe('the registry base', () => {
  it('is python:3.11-slim pinned by digest unless overridden', () => {
    expect(registryBase(undefined)).toBe(PINNED_REGISTRY_BASE);
    expect(registryBase('  ')).toBe(PINNED_REGISTRY_BASE);
    expect(PINNED_REGISTRY_BASE).toMatch(/^python:3\.11-slim@sha256:[0-9a-f]{64}$/);
  });

  it('is the default of ARG BASE_IMAGE in the Dockerfile too', () => {
    const dockerfile = readFileSync(
      path.join(import.meta.dirname, '..', 'sandbox-image', 'Dockerfile'),
      'utf8',
    );
    expect(dockerfile).toContain(`ARG BASE_IMAGE=${PINNED_REGISTRY_BASE}\n`);
  });

  it('accepts an override pinned by digest', () => {
    const ref = `registry.example/library/python:3.11-slim@sha256:${DIGEST}`;
    expect(registryBase(ref)).toBe(ref);
    expect(registryBase(`python@sha256:${DIGEST}`)).toBe(`python@sha256:${DIGEST}`);
  });

  it.each([
    'python:3.11-slim',
    'registry.example:5000/python',
    `python:3.11-slim@sha256:${'a'.repeat(63)}`,
    `python@sha256:${'A'.repeat(64)}`,
    `python@sha512:${DIGEST}`,
    `python@sha256:${DIGEST}x`,
  ])('refuses the override %p, which a registry could move to other content', (ref) => {
    expect(() => registryBase(ref)).toThrow(FatalError);
    expect(() => registryBase(ref)).toThrow(/is not pinned by digest/);
    expect(isDigestPinned(ref)).toBe(false);
  });
});

/** A registry path whose pull and build do what the test says, recording every call. */
function registrySteps(outcome: { pull: 'ok' | Error; build?: 'ok' | Error }) {
  const calls: string[] = [];
  const steps: RegistryBuildSteps = {
    pull: (ref) => {
      calls.push(`pull ${ref}`);
      return outcome.pull === 'ok' ? Promise.resolve() : Promise.reject(outcome.pull);
    },
    build: (base) => {
      calls.push(`build ${base}`);
      const build = outcome.build ?? 'ok';
      return build === 'ok' ? Promise.resolve() : Promise.reject(build);
    },
    log: (message) => calls.push(`log ${message}`),
    rethrowIfInterrupted: () => {},
    reason: (error) => (error as Error).message,
  };
  return { steps, calls };
}

describe('buildOnRegistryBase', () => {
  it('pulls the pinned reference, then builds on that same reference', async () => {
    const { steps, calls } = registrySteps({ pull: 'ok' });
    await expect(buildOnRegistryBase(PINNED_REGISTRY_BASE, steps)).resolves.toBe(true);
    expect(calls).toEqual([`pull ${PINNED_REGISTRY_BASE}`, `build ${PINNED_REGISTRY_BASE}`]);
  });

  it('after a failed pull builds nothing on the registry base: the offline build follows', async () => {
    // The steps have no way to look at local images, so none can be used in place of the pull.
    const { steps, calls } = registrySteps({ pull: new Error('connection refused') });
    await expect(buildOnRegistryBase(PINNED_REGISTRY_BASE, steps)).resolves.toBe(false);
    expect(calls.filter((call) => !call.startsWith('log '))).toEqual([
      `pull ${PINNED_REGISTRY_BASE}`,
    ]);
    expect(calls.at(-1)).toMatch(/connection refused.*falling back to the offline build/);
  });

  it('falls back to the offline build when the build on the pulled base fails', async () => {
    const { steps, calls } = registrySteps({ pull: 'ok', build: new Error('no space left') });
    await expect(buildOnRegistryBase(PINNED_REGISTRY_BASE, steps)).resolves.toBe(false);
    expect(calls.at(-1)).toMatch(/no space left.*falling back to the offline build/);
  });

  it('does not swallow an interrupt', async () => {
    const interrupted = new Error('interrupted by SIGINT');
    const { steps } = registrySteps({ pull: interrupted });
    steps.rethrowIfInterrupted = (error) => {
      throw error;
    };
    await expect(buildOnRegistryBase(PINNED_REGISTRY_BASE, steps)).rejects.toBe(interrupted);
  });
});

describe('debootstrapArgs', () => {
  it('always names the archive keyring and forces the signature check', () => {
    const args = debootstrapArgs('bookworm', '/var/tmp/x/rootfs', 'http://deb.debian.org/debian');
    expect(args).toContain(`--keyring=${DEBIAN_KEYRING}`);
    expect(args).toContain('--force-check-gpg');
    expect(args).not.toContain('--no-check-gpg');
    // Options first, then suite, target and mirror, as debootstrap expects.
    expect(args.slice(-3)).toEqual([
      'bookworm',
      '/var/tmp/x/rootfs',
      'http://deb.debian.org/debian',
    ]);
  });
});

describe('apt-get arguments', () => {
  it('refuse unsigned repositories and unauthenticated packages whatever the host configures', () => {
    for (const args of [aptUpdateArgs(), aptInstallArgs(['debootstrap'])]) {
      expect(args.join(' ')).toContain(APT_VERIFY_OPTIONS.join(' '));
      expect(args.join(' ')).not.toMatch(/allow-unauthenticated|allow-insecure|trusted=yes/i);
    }
    expect(APT_VERIFY_OPTIONS).toEqual([
      '-o',
      'Acquire::AllowInsecureRepositories=false',
      '-o',
      'Acquire::AllowDowngradeToInsecureRepositories=false',
      '-o',
      'APT::Get::AllowUnauthenticated=false',
    ]);
    expect(aptInstallArgs(['a', 'b']).slice(-2)).toEqual(['a', 'b']);
  });
});

/** A host with the given executables and files; apt-get installs what `installs` says. */
function fakeHost(host: {
  executables: string[];
  files: string[];
  installs?: Record<string, { executables?: string[]; files?: string[] }>;
  aptFails?: Error;
}) {
  const executables = new Set(host.executables);
  const files = new Set(host.files);
  const installed: string[][] = [];
  const tools: HostTools = {
    findExecutable: (name) => (executables.has(name) ? `/usr/bin/${name}` : undefined),
    fileExists: (file) => files.has(file),
    aptInstall: (aptGet, packages) => {
      expect(aptGet).toBe('/usr/bin/apt-get');
      installed.push(packages);
      if (host.aptFails) return Promise.reject(host.aptFails);
      for (const pkg of packages) {
        for (const name of host.installs?.[pkg]?.executables ?? []) executables.add(name);
        for (const file of host.installs?.[pkg]?.files ?? []) files.add(file);
      }
      return Promise.resolve();
    },
    log: () => {},
    rethrowIfInterrupted: () => {},
    reason: (error) => (error as Error).message,
  };
  return { tools, installed };
}

describe('ensureDebianKeyring', () => {
  it('installs nothing when the keyring is there', async () => {
    const { tools, installed } = fakeHost({ executables: ['apt-get'], files: [DEBIAN_KEYRING] });
    await ensureDebianKeyring(tools);
    expect(installed).toEqual([]);
  });

  it('installs debian-archive-keyring when debootstrap is there but the keyring is not', async () => {
    const { tools, installed } = fakeHost({
      executables: ['apt-get', 'debootstrap'],
      files: [],
      installs: { 'debian-archive-keyring': { files: [DEBIAN_KEYRING] } },
    });
    await ensureDebianKeyring(tools);
    expect(installed).toEqual([['debian-archive-keyring']]);
  });

  it('fails, naming the package, when there is no apt-get to install it', async () => {
    const { tools } = fakeHost({ executables: ['debootstrap'], files: [] });
    const failure = ensureDebianKeyring(tools);
    await expect(failure).rejects.toThrow(FatalError);
    await expect(failure).rejects.toThrow(/archive keyring .* is missing and apt-get is not here/);
  });

  it('fails when apt-get cannot install it', async () => {
    const { tools } = fakeHost({
      executables: ['apt-get', 'debootstrap'],
      files: [],
      aptFails: new Error('apt-get exited with code 100'),
    });
    await expect(ensureDebianKeyring(tools)).rejects.toThrow(
      /could not install Debian's archive keyring .*: apt-get exited with code 100/,
    );
  });

  it('fails when apt-get succeeds but the keyring is still not there', async () => {
    const { tools } = fakeHost({ executables: ['apt-get'], files: [] });
    await expect(ensureDebianKeyring(tools)).rejects.toThrow(/still missing/);
  });
});

describe('ensureDebootstrap', () => {
  it('returns the installed debootstrap', async () => {
    const { tools, installed } = fakeHost({ executables: ['debootstrap'], files: [] });
    await expect(ensureDebootstrap(tools)).resolves.toBe('/usr/bin/debootstrap');
    expect(installed).toEqual([]);
  });

  it('installs debootstrap together with the keyring', async () => {
    const { tools, installed } = fakeHost({
      executables: ['apt-get'],
      files: [],
      installs: { debootstrap: { executables: ['debootstrap'] } },
    });
    await expect(ensureDebootstrap(tools)).resolves.toBe('/usr/bin/debootstrap');
    expect(installed).toEqual([['debootstrap', 'debian-archive-keyring']]);
  });
});
