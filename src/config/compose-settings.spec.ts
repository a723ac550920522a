import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
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

/** The executor service's `environment:` keys (everything up to the next top-level key). */
const executorEnvironment = [
  ...(/\n {4}environment:\n((?: {6}.*\n| *#.*\n)+)/.exec(compose)?.[1] ?? '').matchAll(
    /^ {6}([A-Z_][A-Z0-9_]*):/gm,
  ),
].map((match) => match[1]);

describe('docker-compose.yml and .env.example', () => {
  it('publish the port on 127.0.0.1 unless PUBLISH_ADDRESS says otherwise', () => {
    expect(compose).toContain("- '${PUBLISH_ADDRESS:-127.0.0.1}:${PORT:-5000}:5000'");
    expect(exampleSettings.get('PUBLISH_ADDRESS')).toBe('127.0.0.1');
  });

  it.each(['API_KEYS', 'TRUST_PROXY', 'TRUST_PROXY_ADDRESSES', 'SANDBOX_RUNTIME'])(
    'pass %s from the environment to the service',
    (name) => {
      expect(compose).toMatch(new RegExp(`\\n {6}${name}: '\\$\\{${name}:-[^}]*\\}'\\n`));
      expect(exampleSettings.has(name)).toBe(true);
    },
  );

  it('pull registry images by digest; only the image built here goes by name', () => {
    const images = [...compose.matchAll(/^ {4}image: (\S+)$/gm)].map((match) => match[1]);
    expect(images).toContain('safe-code-executor:latest');
    for (const image of images.filter((name) => name !== 'safe-code-executor:latest')) {
      expect(image).toMatch(/@sha256:[0-9a-f]{64}$/);
    }
    expect(images.length).toBeGreaterThan(1);
  });

  it('use every setting of .env.example in the compose file', () => {
    for (const name of exampleSettings.keys()) expect(compose).toContain(`\${${name}`);
  });

  it('give the service only settings it knows, and .env.example values it accepts', () => {
    const known = new Set([...Object.keys(new AppConfig()), 'DOCKER_HOST']);
    expect(executorEnvironment.length).toBeGreaterThan(5);
    for (const name of executorEnvironment)
      expect({ name, known: known.has(name) }).toEqual({ name, known: true });
    const serviceSettings = Object.fromEntries(
      [...exampleSettings].filter(([name]) => known.has(name)),
    );
    expect(() => loadAppConfig(serviceSettings)).not.toThrow();
  });
});
