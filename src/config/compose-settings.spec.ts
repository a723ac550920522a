import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  isMap,
  readComposeYaml,
  type Yaml,
  type YamlMap,
} from '../../test/support/compose-yaml.js';
import { AppConfig, loadAppConfig } from './app-config.js';

/** docker-compose.yml and .env.example must stay in step with each other and with AppConfig. */
const root = path.join(import.meta.dirname, '..', '..');
const compose = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
const envExample = readFileSync(path.join(root, '.env.example'), 'utf8');

/** `NAME=value` lines of .env.example. */
const exampleSettings = new Map(
  envExample
    .split('\n')
    .map((line) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => [match[1], match[2]] as const),
);

/** The file as Compose reads it: anchors resolved, merge keys applied. */
const file = readComposeYaml(compose);
const services = mapOf(isMap(file) ? file.services : null, 'services');
const service = (name: string): YamlMap => mapOf(services[name], `service ${name}`);
const environment = (name: string): YamlMap =>
  mapOf(service(name).environment, `${name}'s environment`);
/** A list of scalars (empty when absent). */
const strings = (value: Yaml | undefined): string[] =>
  (Array.isArray(value) ? value : []).map((item) =>
    typeof item === 'string' ? item : JSON.stringify(item),
  );
/** The default of a `${NAME:-default}` value (the value itself when it is not one). */
const defaultOf = (value: Yaml | undefined): Yaml | undefined =>
  typeof value === 'string' ? (/^\$\{[A-Z_0-9]+:-(.*)\}$/.exec(value)?.[1] ?? value) : value;

/** The service's own processes, from the image built here; each runs in one ROLE. */
const NODE_SERVICES = ['executor', 'api', 'worker'];
const PUBLISHED = '${PUBLISH_ADDRESS:-127.0.0.1}:${PORT:-5000}:5000';

function mapOf(value: Yaml | undefined, what: string): YamlMap {
  if (!isMap(value)) throw new Error(`docker-compose.yml: ${what} is not a map`);
  return value;
}

describe('docker-compose.yml and .env.example', () => {
  it('publish the port on 127.0.0.1 unless PUBLISH_ADDRESS says otherwise', () => {
    expect(service('executor').ports).toEqual([PUBLISHED]);
    expect(service('api').ports).toEqual([PUBLISHED]);
    expect(exampleSettings.get('PUBLISH_ADDRESS')).toBe('127.0.0.1');
  });

  it.each([
    ['executor', 'API_KEYS'],
    ['executor', 'TRUST_PROXY'],
    ['executor', 'TRUST_PROXY_ADDRESSES'],
    ['executor', 'SANDBOX_RUNTIME'],
    ['api', 'API_KEYS'],
    ['api', 'TRUST_PROXY'],
    ['api', 'TRUST_PROXY_ADDRESSES'],
    ['worker', 'SANDBOX_RUNTIME'],
    ['worker', 'WORKER_CONCURRENCY'],
  ])('pass %s the setting %s from the environment', (name, setting) => {
    expect(environment(name)[setting]).toMatch(new RegExp(`^\\$\\{${setting}:-[^}]*\\}$`));
    expect(exampleSettings.has(setting)).toBe(true);
  });

  it('pull registry images by digest; only the image built here goes by name', () => {
    const images = Object.values(services).map((entry) => mapOf(entry, 'a service').image);
    expect(images).toContain('safe-code-executor:latest');
    for (const name of Object.keys(services)) {
      const { image, build } = service(name);
      if (image === 'safe-code-executor:latest')
        expect({ name, build }).toEqual({ name, build: '.' });
      else
        expect({ name, image }).toEqual({
          name,
          image: expect.stringMatching(/@sha256:[0-9a-f]{64}$/),
        });
    }
    expect(service('redis').image).toMatch(/^redis:7[.\d]*@/);
  });

  it('use every setting of .env.example in the compose file', () => {
    for (const name of exampleSettings.keys()) expect(compose).toContain(`\${${name}`);
  });

  it('give the service only settings it knows, and .env.example values it accepts', () => {
    const known = new Set([...Object.keys(new AppConfig()), 'DOCKER_HOST']);
    for (const name of NODE_SERVICES) {
      const settings = Object.keys(environment(name));
      expect(settings.length).toBeGreaterThan(5);
      for (const setting of settings)
        expect({ name, setting, known: known.has(setting) }).toEqual({
          name,
          setting,
          known: true,
        });
    }
    const serviceSettings = Object.fromEntries(
      [...exampleSettings].filter(([name]) => known.has(name)),
    );
    expect(() => loadAppConfig(serviceSettings)).not.toThrow();
    for (const name of NODE_SERVICES) {
      const defaults = Object.entries(environment(name)).map(([key, value]) => [
        key,
        typeof value === 'string' ? defaultOf(value) : undefined,
      ]);
      expect(() => loadAppConfig(Object.fromEntries(defaults))).not.toThrow();
    }
  });

  it('start only the embedded executor without a profile, and nothing of it needs Redis', () => {
    const unprofiled = Object.keys(services).filter((name) => service(name).profiles === undefined);
    expect(unprofiled).toEqual(['executor']);
    for (const name of ['redis', 'api', 'worker'])
      expect(service(name).profiles).toEqual(['distributed']);
    expect(environment('executor')).not.toHaveProperty('REDIS_URL');
    expect(environment('executor')).not.toHaveProperty('ROLE');
  });

  it('run Redis with an append-only file, fsynced, on a named volume, and unpublished', () => {
    const redis = service('redis');
    const command = strings(redis.command);
    const option = (name: string) => defaultOf(command[command.indexOf(name) + 1]);
    expect(command[0]).toBe('redis-server');
    expect(option('--appendonly')).toBe('yes');
    expect(['always', 'everysec']).toContain(option('--appendfsync'));
    expect(['always', 'everysec']).toContain(exampleSettings.get('REDIS_APPENDFSYNC'));
    // BullMQ's keys must never be evicted.
    expect(option('--maxmemory-policy')).toBe('noeviction');

    const data = strings(redis.volumes).find((volume) => volume.endsWith(':/data'));
    const volumeName = (data ?? '').split(':')[0];
    expect(mapOf(isMap(file) ? file.volumes : null, 'volumes')).toHaveProperty([volumeName]);

    expect(strings(mapOf(redis.healthcheck, 'the healthcheck').test).join(' ')).toMatch(
      /redis-cli ping/,
    );
    expect(redis).not.toHaveProperty('ports');
    expect(redis).toMatchObject({
      read_only: 'true',
      cap_drop: ['ALL'],
      security_opt: ['no-new-privileges:true'],
    });
  });

  it('connect the api and the workers to that Redis, the api without an engine', () => {
    for (const name of ['api', 'worker']) {
      const url = defaultOf(environment(name).REDIS_URL);
      expect({ name, url }).toEqual({ name, url: 'redis://redis:6379' });
      expect({ name, ROLE: environment(name).ROLE }).toEqual({ name, ROLE: name });
      expect(service(name).depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    }
    const api = service('api');
    expect(strings(api.volumes).filter((volume) => volume.includes('docker.sock'))).toEqual([]);
    expect(api).not.toHaveProperty('group_add');
    expect(environment('api')).not.toHaveProperty('DOCKER_HOST');
  });

  it('let workers scale: an engine each, no published port, no fixed name', () => {
    const worker = service('worker');
    expect(worker).not.toHaveProperty('ports');
    expect(worker).not.toHaveProperty('container_name');
    expect(environment('worker').DOCKER_HOST).toBe(environment('executor').DOCKER_HOST);
    expect(worker.volumes).toEqual(service('executor').volumes);
    expect(worker.group_add).toEqual(service('executor').group_add);
  });

  it.each(NODE_SERVICES)('lock down the %s like every process of the service', (name) => {
    const locked = service(name);
    expect(locked).toMatchObject({
      read_only: 'true',
      cap_drop: ['ALL'],
      security_opt: ['no-new-privileges:true'],
      stop_signal: 'SIGTERM',
      stop_grace_period: '30s',
    });
    expect(locked.tmpfs).toContain('/tmp');
  });
});

describe('readComposeYaml', () => {
  it('applies anchors and merge keys as Compose does: written keys win, then the first merged', () => {
    const text = ['a: &a', '  x: 1', '  y: 1', 'b: &b {}', 'c:', '  <<: [*a, *b]', '  y: 2'].join(
      '\n',
    );
    expect(readComposeYaml(text)).toEqual({ a: { x: '1', y: '1' }, b: {}, c: { x: '1', y: '2' } });
  });

  it.each(['a: |\n  text', 'a:\n  - b: c', 'a: *missing', 'a: 1\n   b: 2', 'a: !!str 1'])(
    'refuses what it cannot read as Compose would: %j',
    (text) => expect(() => readComposeYaml(text)).toThrow(/docker-compose.yml line \d+/),
  );
});
