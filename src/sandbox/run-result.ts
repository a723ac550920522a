import type { CollectedOutput } from './output-collector.js';
import type { ContainerExit } from './engine/container-engine.js';

export const RUN_STATUSES = ['success', 'runtime_error', 'timeout', 'memory_exceeded'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** What one program did, as the API reports it. */
export interface RunResult {
  /** stdout and stderr merged in the order produced, trailing newlines trimmed. */
  output: string;
  stdout: string;
  stderr: string;
  /** The program's exit code; null when the sandbox killed it (time, memory or output limit). */
  exitCode: number | null;
  status: RunStatus;
  /** Wall time of the program itself, from start to exit or kill. */
  durationMs: number;
  /** True when output passed the output limit and was cut there (the program was then stopped). */
  truncated: boolean;
}

/** How a run ended, as the service observed it. */
export interface RunOutcome {
  exit: ContainerExit;
  /** The service killed the container at the time limit. */
  timedOut: boolean;
  /** The service killed the container because output passed the limit. */
  stoppedForOutput: boolean;
  output: CollectedOutput;
  durationMs: number;
}

export function toRunResult({
  exit,
  timedOut,
  stoppedForOutput,
  output,
  durationMs,
}: RunOutcome): RunResult {
  const status: RunStatus = timedOut
    ? 'timeout'
    : exit.oomKilled
      ? 'memory_exceeded'
      : exit.exitCode === 0
        ? 'success'
        : 'runtime_error';
  const killed = timedOut || exit.oomKilled || (stoppedForOutput && exit.exitCode !== 0);
  return {
    output: withoutTrailingNewlines(output.merged),
    stdout: output.stdout,
    stderr: output.stderr,
    exitCode: killed ? null : exit.exitCode,
    status,
    durationMs: Math.round(durationMs),
    truncated: output.truncated,
  };
}

/**
 * Drops trailing CR and LF characters, scanning back from the end. Not a regular expression:
 * `/[\r\n]+$/` retries from every newline of a run, so 65,000 of them cost seconds.
 */
export function withoutTrailingNewlines(text: string): string {
  let end = text.length;
  while (end > 0) {
    const code = text.charCodeAt(end - 1);
    if (code !== 0x0a && code !== 0x0d) break;
    end--;
  }
  return text.slice(0, end);
}
