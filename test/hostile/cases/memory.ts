import {
  MIB,
  PRINT_REPORT,
  PROBE,
  program,
  reportOf,
  type Attack,
  type AttackContext,
  type Verdict,
} from '../attack-kit.js';
import type { RunResult } from '../../../src/sandbox/run-result.js';

/**
 * Memory: programs that try to hold more than the memory limit, by any route.
 * Run by test/hostile/memory.e2e-spec.ts and by `npm run experiments`.
 */

/**
 * Killed by the kernel's OOM killer (the engine's record says so), or Python noticed first
 * (MemoryError); never a success. Under gVisor the engine sometimes misses the OOM record of a
 * sandbox the kernel killed (about 1 run in 10 here): a SIGKILL exit (137) is all it shows.
 */
function stoppedForMemory(result: RunResult, verdict: Verdict, context: AttackContext): void {
  verdict.oneOf(result.status, ['memory_exceeded', 'runtime_error'], 'status');
  if (result.status !== 'runtime_error') return;
  const unrecordedOom = context.limits.runtime === 'runsc' && result.exitCode === 128 + 9;
  verdict.ok(
    result.stderr.includes('MemoryError') || unrecordedOom,
    `a runtime_error is a MemoryError${context.limits.runtime === 'runsc' ? ' or a SIGKILL' : ''} (exit ${result.exitCode})`,
  );
}

/** Megabytes a program reported as held (its last "held N" line) stay within the limit. */
function heldWithinMemory(result: RunResult, verdict: Verdict, context: AttackContext): void {
  const held = [...result.stdout.matchAll(/^held (\d+)$/gm)].map((m) => Number(m[1]));
  verdict.ok(held.length > 0, 'the program reported progress before it was stopped');
  const most = Math.max(0, ...held);
  verdict.atMost(most, context.limits.memoryBytes / MIB, 'MiB held by the program');
}

export const memoryAttacks: Attack[] = [
  program(
    'memory',
    'allocation bomb in Node.js',
    'killed at the memory limit, outside V8’s heap as inside',
    'const keep = [];\nfor (;;) keep.push(Buffer.alloc(1 << 20, 1), new Array(1 << 16).fill(1.5));',
    (result, verdict, context) => {
      verdict.oneOf(result.status, ['memory_exceeded', 'runtime_error'], 'status');
      if (result.status === 'runtime_error') {
        // V8 may give up first ("heap out of memory", SIGABRT), or gVisor miss the OOM record.
        verdict.ok(
          /heap out of memory/.test(result.stderr) ||
            (context.limits.runtime === 'runsc' && result.exitCode === 128 + 9),
          `a runtime_error is V8's own out-of-memory (exit ${result.exitCode})`,
        );
      }
    },
    {
      language: 'javascript',
      // Judged on memory, not time: under gVisor's ptrace platform every page the program
      // touches traps into gVisor's kernel, and this bomb fills its 128 MiB at about 25 MiB/s
      // here, slower on a loaded machine with a cold page cache (the runtimes suite drops it).
      timeoutMs: (limits) => limits.maxTimeoutMs,
    },
  ),
  program(
    'memory',
    'one 1 GiB allocation',
    'memory_exceeded, or a MemoryError (runtime_error); never a success',
    'data = bytearray(1024 * 1024 * 1024)\nprint("allocated", len(data))',
    (result, verdict, context) => {
      stoppedForMemory(result, verdict, context);
      verdict.ok(!result.output.includes('allocated'), 'the allocation never succeeded');
    },
  ),
  program(
    'memory',
    'gradual growth',
    'stopped before holding more than the limit; no swap lets it go further',
    [
      'blocks = []',
      'while True:',
      '    blocks.append(bytearray(4 * 1024 * 1024))',
      '    print("held", 4 * len(blocks), flush=True)',
    ].join('\n'),
    (result, verdict, context) => {
      stoppedForMemory(result, verdict, context);
      heldWithinMemory(result, verdict, context);
    },
  ),
  program(
    'memory',
    'memory through /tmp, /dev/shm and the heap',
    'files in tmpfs count against the memory limit: the total stays within it',
    [
      'import os',
      'held = 0',
      'chunk = b"x" * (1024 * 1024)',
      'for directory in ("/tmp", "/dev/shm"):',
      '    for n in range(1024):',
      '        try:',
      '            with open(f"{directory}/fill{n}", "wb") as f:',
      '                f.write(chunk)',
      '        except OSError:',
      '            break',
      '        held += 1',
      '        print("held", held, flush=True)',
      'blocks = []',
      'while True:',
      '    blocks.append(bytearray(4 * 1024 * 1024))',
      '    held += 4',
      '    print("held", held, flush=True)',
    ].join('\n'),
    (result, verdict, context) => {
      stoppedForMemory(result, verdict, context);
      heldWithinMemory(result, verdict, context);
    },
  ),
  program(
    'memory',
    'anonymous mmap touched page by page',
    'memory_exceeded or MemoryError; never a success',
    [
      'import mmap',
      'size = 1024 * 1024 * 1024',
      'region = mmap.mmap(-1, size)',
      'for offset in range(0, size, 4096):',
      '    region[offset] = 1',
      '    if offset % (16 * 1024 * 1024) == 0:',
      '        print("held", offset // (1024 * 1024), flush=True)',
      'print("touched all of it")',
    ].join('\n'),
    (result, verdict, context) => {
      stoppedForMemory(result, verdict, context);
      verdict.ok(!result.output.includes('touched all'), 'the mapping was never filled');
      heldWithinMemory(result, verdict, context);
    },
  ),
  program(
    'memory',
    'reads its own limits',
    'the memory cgroup allows no swap beyond the memory limit',
    [
      PROBE,
      'def read(path):',
      '    with open(path) as f:',
      '        return f.read().strip()',
      'for name in ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.swappiness"):',
      '    attempt(name, lambda name=name: read("/sys/fs/cgroup/memory/" + name))',
      'attempt("SwapTotal", lambda: [l for l in read("/proc/meminfo").splitlines() if l.startswith("SwapTotal")][0])',
      PRINT_REPORT,
    ].join('\n'),
    (result, verdict, context) => {
      verdict.equal(result.status, 'success', 'status');
      const report = reportOf<Record<string, string>>(result, verdict);
      if (!report) return;
      // Under runc the cgroup is visible; gVisor shows its own emulated files.
      const limit = /ALLOWED: '(\d+)'/.exec(report['memory.limit_in_bytes'] ?? '')?.[1];
      if (limit !== undefined) verdict.equal(Number(limit), context.limits.memoryBytes, 'limit');
      const memsw = /ALLOWED: '(\d+)'/.exec(report['memory.memsw.limit_in_bytes'] ?? '')?.[1];
      if (memsw !== undefined)
        verdict.equal(Number(memsw), context.limits.memoryBytes, 'memory + swap limit');
      const swap = /SwapTotal:\s+(\d+)/.exec(report.SwapTotal ?? '')?.[1];
      verdict.ok(limit !== undefined || swap !== undefined, 'the program could see a limit');
    },
  ),
];
