import { describe, expect, it } from '@jest/globals';
import { toRunResult, withoutTrailingNewlines, type RunOutcome } from './run-result.js';

function outcome(overrides: Partial<RunOutcome> = {}): RunOutcome {
  return {
    exit: { exitCode: 0, oomKilled: false },
    timedOut: false,
    stoppedForOutput: false,
    output: { merged: '4\n', stdout: '4\n', stderr: '', truncated: false },
    durationMs: 12.6,
    ...overrides,
  };
}

describe('toRunResult', () => {
  it('maps exit 0 to success and trims only trailing newlines from output', () => {
    const result = toRunResult(
      outcome({
        output: { merged: '  4\r\n\n', stdout: '  4\r\n\n', stderr: '', truncated: false },
      }),
    );
    expect(result).toEqual({
      output: '  4',
      stdout: '  4\r\n\n',
      stderr: '',
      exitCode: 0,
      status: 'success',
      durationMs: 13,
      cpuMs: null,
      memoryPeakMb: null,
      truncated: false,
    });
  });

  it('maps a non-zero exit to runtime_error with its code', () => {
    expect(toRunResult(outcome({ exit: { exitCode: 3, oomKilled: false } }))).toMatchObject({
      status: 'runtime_error',
      exitCode: 3,
    });
  });

  it('maps a kill at the time limit to timeout with no exit code, whatever the engine says', () => {
    expect(
      toRunResult(outcome({ timedOut: true, exit: { exitCode: 137, oomKilled: false } })),
    ).toMatchObject({ status: 'timeout', exitCode: null });
  });

  it('trusts the engine OOM record for memory_exceeded, not exit code 137', () => {
    expect(toRunResult(outcome({ exit: { exitCode: 137, oomKilled: true } }))).toMatchObject({
      status: 'memory_exceeded',
      exitCode: null,
    });
    expect(toRunResult(outcome({ exit: { exitCode: 137, oomKilled: false } }))).toMatchObject({
      status: 'runtime_error',
      exitCode: 137,
    });
  });

  describe('output past the cap', () => {
    const truncated = { merged: 'xxxx', stdout: 'xxxx', stderr: '', truncated: true };

    it('is output_limit_exceeded with no exit code when the kill stopped the program', () => {
      const result = toRunResult(
        outcome({
          stoppedForOutput: true,
          exit: { exitCode: 137, oomKilled: false },
          output: truncated,
        }),
      );
      expect(result).toMatchObject({
        status: 'output_limit_exceeded',
        exitCode: null,
        truncated: true,
      });
    });

    it('is output_limit_exceeded with the program’s exit code when it exited before the kill', () => {
      for (const exitCode of [0, 3]) {
        expect(
          toRunResult(
            outcome({
              stoppedForOutput: true,
              exit: { exitCode, oomKilled: false },
              output: truncated,
            }),
          ),
        ).toMatchObject({ status: 'output_limit_exceeded', exitCode, truncated: true });
      }
    });

    it('outranks the time limit and the memory limit seen at the same time', () => {
      const killed = { exitCode: 137, oomKilled: false };
      expect(
        toRunResult(
          outcome({ stoppedForOutput: true, timedOut: true, exit: killed, output: truncated }),
        ),
      ).toMatchObject({ status: 'output_limit_exceeded', exitCode: null });
      expect(
        toRunResult(
          outcome({
            stoppedForOutput: true,
            exit: { exitCode: 137, oomKilled: true },
            output: truncated,
          }),
        ),
      ).toMatchObject({ status: 'output_limit_exceeded', exitCode: null });
    });
  });

  it('ranks the time limit above the memory limit when both are seen', () => {
    expect(
      toRunResult(outcome({ timedOut: true, exit: { exitCode: 137, oomKilled: true } })),
    ).toMatchObject({ status: 'timeout', exitCode: null });
  });
});

describe('withoutTrailingNewlines', () => {
  it('drops every trailing CR and LF and nothing else', () => {
    expect(withoutTrailingNewlines('')).toBe('');
    expect(withoutTrailingNewlines('\n\r\n')).toBe('');
    expect(withoutTrailingNewlines(' a \r\n\n')).toBe(' a ');
    expect(withoutTrailingNewlines('a\n\nb')).toBe('a\n\nb');
    expect(withoutTrailingNewlines('a\t \n')).toBe('a\t ');
  });

  it('agrees with /[\\r\\n]+$/ on every short string of CR, LF and letters', () => {
    const alphabet = ['\r', '\n', 'a'];
    const strings = [''];
    for (let length = 1; length <= 6; length++) {
      for (const prefix of strings.filter((s) => s.length === length - 1)) {
        strings.push(...alphabet.map((c) => prefix + c));
      }
    }
    for (const text of strings) {
      expect(withoutTrailingNewlines(text)).toBe(text.replace(/[\r\n]+$/, ''));
    }
  });

  it('leaves a run of 65,000 newlines before a letter as it is, and trims one after it', () => {
    const newlines = '\n'.repeat(65000);
    expect(withoutTrailingNewlines(newlines + 'x')).toBe(newlines + 'x');
    expect(withoutTrailingNewlines('x' + newlines)).toBe('x');
  });
});
