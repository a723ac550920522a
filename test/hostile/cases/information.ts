import {
  expectAllBlocked,
  PRINT_REPORT,
  PROBE,
  program,
  reportOf,
  type Attack,
} from '../attack-kit.js';

/**
 * Information: what a program can learn about the host, the service and earlier runs.
 * Run by test/hostile/information.e2e-spec.ts and by `npm run experiments`.
 */

export const informationAttacks: Attack[] = [
  program(
    'information',
    'environment variables',
    'the program sees only the sandbox environment, none of the service',
    'import os, json\nprint(json.dumps(sorted(os.environ)))',
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      const names = reportOf<string[]>(result, verdict);
      verdict.equal(
        names,
        [
          'HOME',
          'HOSTNAME',
          'LANG',
          'PATH',
          'PYTHONDONTWRITEBYTECODE',
          'PYTHONIOENCODING',
          'PYTHONUNBUFFERED',
        ],
        'environment variable names',
      );
    },
  ),
  program(
    'information',
    'processes',
    'only its own processes are visible (tini, the launcher, the program); nothing of the host',
    [
      'import os, json',
      'procs = {}',
      'for pid in os.listdir("/proc"):',
      '    if pid.isdigit():',
      '        try:',
      '            procs[pid] = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\\0", b" ").decode()[:60]',
      '        except OSError:',
      '            pass',
      'print(json.dumps(procs))',
    ].join('\n'),
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      const procs = reportOf<Record<string, string>>(result, verdict);
      if (!procs) return;
      const commands = Object.values(procs);
      // tini (PID 1), the launcher, and the program the launcher forked.
      verdict.atMost(commands.length, 3, 'visible processes');
      verdict.ok(
        commands.every((c) => /docker-init|tini|python3/.test(c)),
        `only tini and python are visible (${JSON.stringify(commands)})`,
      );
    },
  ),
  program(
    'information',
    'host directories and the Docker socket',
    'no host directory mounted, no Docker socket anywhere',
    [
      PROBE,
      'import os, stat',
      'def sockets():',
      '    found = []',
      '    for root in ("/run", "/var/run", "/tmp", "/var", "/home", "/srv", "/mnt"):',
      '        for directory, _, names in os.walk(root):',
      '            for name in names:',
      '                path = os.path.join(directory, name)',
      '                try:',
      '                    if stat.S_ISSOCK(os.lstat(path).st_mode) or "docker" in name:',
      '                        found.append(path)',
      '                except OSError:',
      '                    pass',
      '    if found:',
      '        return found',
      '    raise OSError("no sockets")',
      'attempt("docker sockets", sockets)',
      'attempt("/var/run/docker.sock", lambda: os.stat("/var/run/docker.sock"))',
      'attempt("/run/containerd", lambda: os.listdir("/run/containerd"))',
      'def host_mounts():',
      '    suspicious = []',
      '    for line in open("/proc/self/mountinfo"):',
      '        fields = line.split()',
      '        point, source = fields[4], fields[3]',
      '        if point in ("/", "/proc", "/dev", "/sys", "/tmp", "/dev/shm", "/dev/pts", "/dev/mqueue", "/sys/fs/cgroup") or point.startswith(("/proc/", "/sys/", "/dev/")):',
      '            continue',
      '        read_only = fields[5].split(",")[0] == "ro"',
      '        if point in ("/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/sbin/docker-init", "/usr/sbin/docker-init") and read_only:',
      '            continue',
      '        suspicious.append(point + " " + fields[5])',
      '    if suspicious:',
      '        return suspicious',
      '    raise OSError("no writable host mounts")',
      'attempt("host mounts", host_mounts)',
      'attempt("/proc/kcore", lambda: open("/proc/kcore", "rb").read(16))',
      'attempt("/proc/keys", lambda: open("/proc/keys").read(100) or (_ for _ in ()).throw(OSError("empty")))',
      'attempt("host /etc/shadow", lambda: open("/etc/shadow").read(10))',
      PRINT_REPORT,
    ].join('\n'),
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      expectAllBlocked(reportOf(result, verdict), verdict, 7);
    },
  ),
  program(
    'information',
    'leftovers of an earlier run',
    'a second run finds nothing of the first: no file in /tmp or /dev/shm, no process',
    [
      'import os, json',
      'print(json.dumps({"tmp": sorted(os.listdir("/tmp")), "shm": sorted(os.listdir("/dev/shm")),',
      '    "procs": len([p for p in os.listdir("/proc") if p.isdigit()])}))',
    ].join('\n'),
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      verdict.equal(
        reportOf(result, verdict),
        { tmp: ['main.py'], shm: [], procs: 3 }, // tini, the launcher, the program
        'what the second run finds',
      );
    },
    {
      before: [
        'import os, subprocess',
        'open("/tmp/secret", "w").write("from the first run")',
        'open("/dev/shm/secret", "w").write("from the first run")',
        'if os.fork() == 0:',
        '    os.setsid()',
        '    import time',
        '    time.sleep(3600)',
        'print("planted")',
      ].join('\n'),
    },
  ),
];
