import { program, type Attack, type AttackContext, type Verdict } from '../attack-kit.js';
import type { RunResult } from '../../../src/sandbox/run-result.js';

/**
 * Output: floods and malformed bytes on stdout and stderr.
 * Run by test/hostile/output.e2e-spec.ts and by `npm run experiments`.
 */

function cutAtTheCap(result: RunResult, verdict: Verdict, context: AttackContext): void {
  verdict.equal(result.truncated, true, 'truncated');
  const kept = Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr);
  // Invalid UTF-8 cut at the cap may be replaced by U+FFFD (3 bytes), hence the small margin.
  verdict.atMost(kept, context.limits.outputLimitBytes + 8, 'bytes of output kept');
  verdict.ok(kept >= context.limits.outputLimitBytes / 2, `output up to the cap kept (${kept})`);
  verdict.equal(result.status, 'output_limit_exceeded', 'status');
  verdict.ok(
    result.durationMs < context.limits.timeoutMs,
    `killed at the cap, not at the time limit (${result.durationMs} ms)`,
  );
}

export const outputAttacks: Attack[] = [
  program(
    'output',
    'stdout flood',
    'output_limit_exceeded: output capped at the limit, truncated: true, the program killed at the cap',
    'while True:\n    print("A" * 1000)',
    cutAtTheCap,
  ),
  program(
    'output',
    'stderr flood',
    'output_limit_exceeded: output capped at the limit, truncated: true, the program killed at the cap',
    'import sys\nwhile True:\n    sys.stderr.write("E" * 1000 + "\\n")',
    (result, verdict, context) => {
      cutAtTheCap(result, verdict, context);
      verdict.equal(result.stdout, '', 'stdout');
    },
  ),
  program(
    'output',
    'one 50 MB line without a newline',
    'output_limit_exceeded: capped, truncated, killed at the cap; the service does not buffer 50 MB',
    [
      'import os, time',
      'line = memoryview(b"x" * 50_000_000)',
      'while line:',
      '    line = line[os.write(1, line):]  # pipes may take less than asked',
      'time.sleep(3600)',
    ].join('\n'),
    (result, verdict, context) => {
      cutAtTheCap(result, verdict, context);
      verdict.ok(/^x+$/.test(result.stdout), 'only the bytes written were kept');
    },
  ),
  program(
    'output',
    'one large write through sys.stdout, then exit',
    'output_limit_exceeded, truncated, exactly the cap kept, under runc and gVisor alike (gVisor pipes take 64 KiB of a large write; no byte may be dropped silently)',
    'import sys\nsys.stdout.write("x" * 1_000_000)',
    (result, verdict, context) => {
      cutAtTheCap(result, verdict, context);
      verdict.equal(
        Buffer.byteLength(result.stdout),
        context.limits.outputLimitBytes,
        'bytes of stdout kept',
      );
    },
  ),
  program(
    'output',
    'byte-at-a-time flood on both streams',
    'output_limit_exceeded: capped (tiny frames count as much as big ones), truncated, killed at the cap; under gVisor, whose every write is a trip through its own kernel and seccomp filter, the program may reach the time limit first (about 20 KiB in 5 s here): then a timeout, with what it wrote kept',
    'import os\nwhile True:\n    os.write(1, b"o")\n    os.write(2, b"e")',
    (result, verdict, context) => {
      if (context.limits.runtime === 'runsc' && result.status === 'timeout') {
        const kept = Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr);
        verdict.equal(result.truncated, false, 'truncated');
        verdict.ok(kept < context.limits.outputLimitBytes, `short of the cap (${kept})`);
        verdict.ok(kept > 0, 'what it wrote is kept');
        return;
      }
      cutAtTheCap(result, verdict, context);
    },
  ),
  program(
    'output',
    'invalid UTF-8 and NUL bytes',
    'a clean success; invalid bytes become U+FFFD, NUL is kept; the JSON stays valid',
    'import sys\nsys.stdout.buffer.write(b"ok \\xff\\xfe \\xc3\\x28 \\xed\\xa0\\x80 nul\\x00 end\\n")',
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      verdict.ok(result.stdout.startsWith('ok \uFFFD'), 'invalid bytes replaced by U+FFFD');
      verdict.ok(result.stdout.includes('nul\u0000 end'), 'the NUL byte is carried through');
    },
  ),
  program(
    'output',
    'multi-byte flood cut mid-character',
    'output_limit_exceeded: capped, truncated; a character cut at the cap is replaced, the JSON stays valid',
    'while True:\n    print("é😀" * 1000, end="")',
    cutAtTheCap,
  ),
];
