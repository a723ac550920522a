import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadAppConfig } from '../../config/app-config.js';
import { toCreateOptions } from '../engine/dockerode-engine.js';
import { SANDBOX_CONFIG } from '../sandbox.config.js';
import { containerSpec, sandboxPolicyFrom } from '../sandbox-policy.js';
import {
  DENIED_ERRNO,
  DENIED_SYSCALLS,
  DOCKER_DEFAULT_SOURCE,
  forGvisor,
  profileFrom,
  type SeccompProfile,
  type SeccompRule,
} from './seccomp-profile.js';
import { loadSeccompProfile, PROFILE_URL } from './seccomp-security-opt.js';

const dockerDefaultText = readFileSync(new URL('./docker-default.json', import.meta.url), 'utf8');
const dockerDefault = JSON.parse(dockerDefaultText) as SeccompProfile;
const profile = JSON.parse(readFileSync(PROFILE_URL, 'utf8')) as SeccompProfile;

/** The calls the issue names (issue 13, "A tighter kernel surface"); umount is umount2's old name. */
const ISSUE_LIST = [
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'userfaultfd',
  'keyctl',
  'add_key',
  'request_key',
  'perf_event_open',
  'bpf',
  'unshare',
  'setns',
  'mount',
  'umount',
  'umount2',
  'pivot_root',
  'move_mount',
  'open_tree',
  'fsopen',
  'fsmount',
  'fsconfig',
  'fspick',
  'mount_setattr',
];

const isDenyRule = (rule: SeccompRule) =>
  rule.action === 'SCMP_ACT_ERRNO' &&
  rule.errnoRet === DENIED_ERRNO &&
  !rule.args &&
  !rule.includes;

describe('the seccomp profile', () => {
  it('starts from the Docker default it says it does', () => {
    expect(createHash('sha256').update(dockerDefaultText).digest('hex')).toBe(
      DOCKER_DEFAULT_SOURCE.sha256,
    );
  });

  it('is what scripts/seccomp-profile.ts makes of that default (npm run seccomp:profile)', () => {
    expect(profile).toEqual(profileFrom(dockerDefault));
  });

  it('denies each listed call with EPERM, in one unconditional rule, and allows none of them anywhere', () => {
    expect(Object.keys(DENIED_SYSCALLS).sort()).toEqual([...ISSUE_LIST].sort());
    const denyRules = profile.syscalls.filter(isDenyRule);
    expect(denyRules).toHaveLength(1);
    expect([...denyRules[0].names].sort()).toEqual([...ISSUE_LIST].sort());
    for (const rule of profile.syscalls.filter((rule) => !isDenyRule(rule)))
      expect(rule.names.filter((name) => ISSUE_LIST.includes(name))).toEqual([]);
    // Anything not allowed fails with EPERM too (never kills the process).
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(profile.defaultErrnoRet).toBe(DENIED_ERRNO);
  });

  it('allows personality only with the values Docker’s default allows', () => {
    const personality = profile.syscalls.filter((rule) => rule.names.includes('personality'));
    expect(personality.map((rule) => [rule.action, rule.names, rule.args])).toEqual(
      [0x0, 0x8, 0x20000, 0x20008, 0xffffffff].map((value) => [
        'SCMP_ACT_ALLOW',
        ['personality'],
        [{ index: 0, value, op: 'SCMP_CMP_EQ' }],
      ]),
    );
  });

  it('is otherwise Docker’s default, rule for rule', () => {
    const { syscalls: defaultRules, ...defaultRest } = dockerDefault;
    const { syscalls: profileRules, ...profileRest } = profile;
    expect(profileRest).toEqual(defaultRest);
    // Written out here rather than through profileFrom, so that a bug there cannot hide.
    const expected = defaultRules
      .map((rule) => ({ ...rule, names: rule.names.filter((name) => !ISSUE_LIST.includes(name)) }))
      .filter((rule) => rule.names.length > 0);
    expect(profileRules.filter((rule) => !isDenyRule(rule))).toEqual(expected);
    // Only the listed calls lost an allow rule.
    const allowedNames = (rules: SeccompRule[]) =>
      new Set(rules.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names));
    const lost = [...allowedNames(defaultRules)].filter(
      (name) => !allowedNames(profileRules).has(name),
    );
    expect(lost.every((name) => ISSUE_LIST.includes(name))).toBe(true);
    expect(lost).toEqual(expect.arrayContaining(['ptrace', 'process_vm_readv', 'bpf', 'mount']));
  });

  it('under gVisor, differs only in letting clone3 through (gVisor answers ENOSYS itself)', () => {
    const gvisor = forGvisor(profile);
    const changed = gvisor.syscalls.filter((rule, i) => rule !== profile.syscalls[i]);
    expect(changed).toEqual([
      {
        names: ['clone3'],
        action: 'SCMP_ACT_ALLOW',
        excludes: { caps: ['CAP_SYS_ADMIN'] },
        comment: expect.stringContaining('gVisor') as unknown,
      },
    ]);
    expect(gvisor.syscalls).toHaveLength(profile.syscalls.length);
    expect({ ...gvisor, syscalls: [] }).toEqual({ ...profile, syscalls: [] });
  });

  it.each([
    ['runc', profile],
    ['runsc', forGvisor(profile)],
  ])(
    'goes into every container’s create options under %s, with no-new-privileges',
    (runtime, expected) => {
      const config = SANDBOX_CONFIG.from(loadAppConfig({ SANDBOX_RUNTIME: runtime }));
      const spec = containerSpec(sandboxPolicyFrom(config), { labels: {}, pooled: false });
      const options = toCreateOptions(spec);
      const securityOpt: string[] = options.HostConfig?.SecurityOpt ?? [];
      expect(securityOpt).toContain('no-new-privileges');
      const seccomp = securityOpt.filter((option) => option.startsWith('seccomp='));
      expect(seccomp).toHaveLength(1);
      // The engine takes the profile's text (not a path).
      expect(JSON.parse(seccomp[0].slice('seccomp='.length))).toEqual(expected);
    },
  );

  it('fails with a clear message when the profile file is missing', () => {
    expect(() => loadSeccompProfile(new URL('./no-such-profile.json', import.meta.url))).toThrow(
      /seccomp profile not found at .*no-such-profile\.json/,
    );
  });
});
