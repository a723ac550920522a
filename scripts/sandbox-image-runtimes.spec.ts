import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findRuntime, RUNTIMES } from '../src/runtimes/runtime-catalogue.js';
import {
  buildArgs,
  formatTable,
  imageName,
  imageTitle,
  parseOptions,
  VERSION_COMMANDS,
  versionLabel,
} from './sandbox-image-runtimes.js';
import { APT_VERIFY_OPTIONS, FatalError } from './sandbox-image-sources.js';

const languages = (argv: string[]): string[] =>
  parseOptions(argv).runtimes.map((runtime) => runtime.language);

const dockerfile = readFileSync(
  path.join(import.meta.dirname, '..', 'sandbox-image', 'Dockerfile'),
  'utf8',
);

describe('parseOptions', () => {
  it('without a runtime flag makes python only, as npm start needs', () => {
    expect(parseOptions([])).toEqual({
      runtimes: [findRuntime('python')],
      all: false,
      rebuild: false,
      offline: false,
      refreshBase: false,
      exportTo: undefined,
    });
    expect(languages(['--rebuild', '--offline'])).toEqual(['python']);
  });

  it('takes --runtime repeated or as a comma list, by name or alias, in catalogue order, once each', () => {
    expect(languages(['--runtime', 'js'])).toEqual(['javascript']);
    expect(languages(['--runtime', 'ruby,c++', '--runtime', 'GCC'])).toEqual(['c', 'cpp', 'ruby']);
    expect(languages(['--runtime', 'node', '--runtime', 'javascript,js'])).toEqual(['javascript']);
    expect(languages(['--runtime=php8', '--rebuild'])).toEqual(['php']);
  });

  it('takes --all as every runtime of the catalogue', () => {
    const options = parseOptions(['--all', '--rebuild']);
    expect(options.runtimes).toEqual(RUNTIMES);
    expect(options).toMatchObject({ all: true, rebuild: true });
  });

  it('refuses an unknown runtime, listing the known ones', () => {
    expect(() => parseOptions(['--runtime', 'js,cobol,fortran'])).toThrow(
      /unknown runtimes "cobol", "fortran"/,
    );
    try {
      parseOptions(['--runtime', 'cobol']);
      throw new Error('no error');
    } catch (error) {
      expect(error).toBeInstanceOf(FatalError);
      const hint = (error as FatalError).hint ?? '';
      for (const runtime of RUNTIMES) expect(hint).toContain(runtime.language);
      expect(hint).toContain('javascript (js, node, nodejs)');
    }
  });

  it('refuses an empty --runtime, --all with --runtime, and unknown flags', () => {
    expect(() => parseOptions(['--runtime', ','])).toThrow(FatalError);
    expect(() => parseOptions(['--all', '--runtime', 'c'])).toThrow(/either --all or --runtime/);
    expect(() => parseOptions(['--runtimes', 'c'])).toThrow(FatalError);
    expect(() => parseOptions(['--runtime'])).toThrow(FatalError);
  });

  it('exports exactly one image: python by default, or the one runtime named', () => {
    expect(parseOptions(['--export', 'f.tar'])).toMatchObject({
      exportTo: 'f.tar',
      runtimes: [findRuntime('python')],
    });
    expect(languages(['--export', 'f.tar', '--runtime', 'js'])).toEqual(['javascript']);
    expect(() => parseOptions(['--export', 'f.tar', '--runtime', 'js,c'])).toThrow(/one image/);
    expect(() => parseOptions(['--export', 'f.tar', '--all'])).toThrow(/one image/);
  });

  it('reads --offline and --refresh-base', () => {
    expect(parseOptions(['--offline', '--refresh-base'])).toMatchObject({
      offline: true,
      refreshBase: true,
    });
  });
});

describe('imageName and imageTitle', () => {
  const python = findRuntime('python')!;
  const javascript = findRuntime('javascript')!;

  it('is the catalogue image; SANDBOX_IMAGE renames only python', () => {
    expect(imageName(python, undefined)).toBe('safe-code-executor-python:3.11');
    expect(imageName(python, ' ')).toBe('safe-code-executor-python:3.11');
    expect(imageName(python, 'mine:1')).toBe('mine:1');
    expect(imageName(javascript, 'mine:1')).toBe('safe-code-executor-javascript:18');
  });

  it('gives every runtime its own title, python the one it always had', () => {
    expect(imageTitle(python)).toBe('safe-code-executor-python');
    const titles = RUNTIMES.map(imageTitle);
    expect(new Set(titles).size).toBe(RUNTIMES.length);
  });
});

describe('buildArgs', () => {
  it('gives python the Dockerfile defaults, so a plain build of the Dockerfile is python', () => {
    const args = buildArgs(findRuntime('python')!, 'base:1');
    expect(args).toEqual({
      BASE_IMAGE: 'base:1',
      RUNTIME: 'python',
      PACKAGES: '',
      CHECK: findRuntime('python')!.check,
      CHECK_ENV: '',
      TITLE: 'safe-code-executor-python',
      DESCRIPTION: 'Python 3.11 sandbox image for Safe Code Executor',
    });
    for (const name of ['RUNTIME', 'TITLE'] as const) {
      expect(dockerfile).toContain(`ARG ${name}=${args[name]}\n`);
    }
    expect(dockerfile).toContain(`ARG DESCRIPTION="${args.DESCRIPTION}"\n`);
    expect(dockerfile).toContain(`ARG CHECK="${args.CHECK}"\n`);
    expect(dockerfile).toContain('ARG PACKAGES=""\n');
  });

  it('passes packages, check and extra environment of a runtime', () => {
    const args = buildArgs(findRuntime('scipy')!, 'base:1');
    expect(args.PACKAGES).toBe('python3-numpy python3-pandas python3-scipy python3-matplotlib');
    expect(args.CHECK_ENV).toBe('MPLBACKEND=Agg');
    expect(args.RUNTIME).toBe('python-scientific');
    expect(buildArgs(findRuntime('c++')!, 'b').PACKAGES).toBe('g++ libc6-dev');
  });

  it('is defined for every runtime of the catalogue, each with a version command', () => {
    for (const runtime of RUNTIMES) {
      expect(() => buildArgs(runtime, 'b')).not.toThrow();
      expect(VERSION_COMMANDS[runtime.language]).toBeDefined();
    }
  });

  it('refuses a package or variable the Dockerfile would split or run as shell', () => {
    const c = findRuntime('c')!;
    for (const packages of [['gcc; rm -rf /'], ['$(id)'], ['a b'], ['-o=x']]) {
      expect(() => buildArgs({ ...c, packages }, 'b')).toThrow(FatalError);
    }
    expect(() => buildArgs({ ...c, env: ['A=b c'] }, 'b')).toThrow(FatalError);
  });
});

describe('the Dockerfile', () => {
  it('installs packages with apt signature checks spelled out, never relaxed', () => {
    const verify = [];
    for (let i = 0; i < APT_VERIFY_OPTIONS.length; i += 2) {
      verify.push(`${APT_VERIFY_OPTIONS[i]} ${APT_VERIFY_OPTIONS[i + 1]}`);
    }
    expect(dockerfile).toContain(`apt_verify='${verify.join(' ')}'`);
    expect(dockerfile).toMatch(/apt-get -q \$apt_verify update/);
    expect(dockerfile).toMatch(
      /apt-get -q \$apt_verify install -y --no-install-recommends \$PACKAGES/,
    );
    expect(dockerfile).not.toMatch(/allow-unauthenticated|trusted=yes|AllowUnauthenticated=true/i);
  });

  it('runs the check as the sandbox user, after the hardening', () => {
    const user = dockerfile.indexOf('USER 65534:65534');
    expect(dockerfile.indexOf('chmod ug-s')).toBeLessThan(user);
    expect(dockerfile.indexOf('RUN env -- $CHECK_ENV sh -c "$CHECK"')).toBeGreaterThan(user);
  });
});

describe('versionLabel', () => {
  it('keeps the last line, in characters fit for a label', () => {
    expect(versionLabel('18.19.0\n')).toBe('18.19.0');
    expect(versionLabel('noise\n3.11.2 numpy 1.24.2\n')).toBe('3.11.2 numpy 1.24.2');
    expect(versionLabel('1.0"; evil=`x`$')).toBe('1.0 evilx');
    expect(versionLabel('  \n')).toBeUndefined();
    expect(versionLabel('9'.repeat(500))).toHaveLength(200);
  });
});

describe('formatTable', () => {
  it('lines up runtime, image, size and seconds', () => {
    expect(
      formatTable([
        { runtime: 'python', image: 'safe-code-executor-python:3.11', bytes: 118.7e6 },
        { runtime: 'c', image: 'safe-code-executor-c:12', bytes: 250.2e6, seconds: 73 },
        { runtime: 'php', image: 'safe-code-executor-php:8.2', failed: true },
      ]),
    ).toEqual([
      'runtime  image                             size  seconds',
      'python   safe-code-executor-python:3.11  119 MB  present',
      'c        safe-code-executor-c:12         250 MB       73',
      'php      safe-code-executor-php:8.2           -   FAILED',
    ]);
  });
});
