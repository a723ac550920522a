import { describe, expect, it } from '@jest/globals';
import { toRunResult, type RunOutcome } from './run-result.js';

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

  it('reports a program stopped at the output limit as truncated with no exit code', () => {
    const result = toRunResult(
      outcome({
        stoppedForOutput: true,
        exit: { exitCode: 137, oomKilled: false },
        output: { merged: 'xxxx', stdout: 'xxxx', stderr: '', truncated: true },
      }),
    );
    expect(result).toMatchObject({ status: 'runtime_error', exitCode: null, truncated: true });
  });
});
