import type { CollectedOutput } from './output-collector.js';
import type { ContainerExit } from './engine/container-engine.js';

export const RUN_STATUSES = [
  'success',
  'runtime_error',
  'timeout',
  'memory_exceeded',
  'output_limit_exceeded',
  'compile_error',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** What a container's main process leaves when the engine kills it with SIGKILL (128 + 9). */
const KILLED_EXIT_CODE = 137;

/** What one program did, as the API reports it. */
export interface RunResult {
  /** stdout and stderr merged in the order produced, trailing newlines trimmed. */
  output: string;
  stdout: string;
  stderr: string;
  /** The program's exit code; null when the sandbox killed it (time, memory or output limit). */
  exitCode: number | null;
  status: RunStatus;
  /** Wall time of the program itself, from start to exit or kill (after its compilation). */
  durationMs: number;
  /** Wall time of the compilation, for a runtime that compiles (C, C++). */
  compileMs?: number;
  /**
   * CPU time the container used from the program's start (all its processes; the cgroup's
   * count); null where it cannot be read (gVisor).
   */
  cpuMs: number | null;
  /**
   * The container's highest memory use in MiB (the cgroup's: the program with the launcher's
   * few MiB and, for a compiled language, the compiler); null where it cannot be read (gVisor).
   */
  memoryPeakMb: number | null;
  /** The regular files the program left under out/ (within the caps), if it made that folder. */
  files?: OutputFile[];
  /** Files of out/ were left out of `files` (past the caps on their number or size). */
  filesTruncated?: boolean;
  /**
   * True when output passed the output limit and was cut there (the program was then stopped);
   * exactly when the status is output_limit_exceeded.
   */
  truncated: boolean;
}

/** A file the program left under out/. */
export interface OutputFile {
  /** Relative to out/. */
  name: string;
  /** Bytes. */
  size: number;
  /** `utf8` for valid UTF-8 text, else `base64`. */
  encoding: 'utf8' | 'base64';
  content: string;
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
  /** The launcher's word that the compilation failed: the program never ran. */
  compileFailed?: boolean;
  compileMs?: number;
  /** From the launcher's report; -1 or absent when unknown. */
  cpuUs?: number;
  memoryPeakKb?: number;
  files?: OutputFile[];
  filesTruncated?: boolean;
}

export function toRunResult({
  exit,
  timedOut,
  stoppedForOutput,
  output,
  durationMs,
  compileFailed = false,
  compileMs,
  cpuUs = -1,
  memoryPeakKb = -1,
  files,
  filesTruncated,
}: RunOutcome): RunResult {
  // The kill at the cap lands after the program may have exited by itself: the engine's
  // SIGKILL exit code tells which. A program that exits 137 itself reads as killed.
  const killed =
    timedOut || exit.oomKilled || (stoppedForOutput && exit.exitCode === KILLED_EXIT_CODE);
  return {
    output: withoutTrailingNewlines(output.merged),
    stdout: output.stdout,
    stderr: output.stderr,
    exitCode: killed ? null : exit.exitCode,
    status: compileFailed ? 'compile_error' : statusOf(exit, timedOut, output.truncated),
    durationMs: Math.round(durationMs),
    ...(compileMs === undefined ? {} : { compileMs }),
    cpuMs: cpuUs >= 0 ? Math.round(cpuUs / 1000) : null,
    memoryPeakMb: memoryPeakKb >= 0 ? Math.round((memoryPeakKb / 1024) * 10) / 10 : null,
    ...(files === undefined ? {} : { files, filesTruncated: filesTruncated ?? false }),
    truncated: output.truncated,
  };
}

/**
 * One verdict per program, whatever the timing. Several endings can be seen at once, for a kill
 * at one limit takes the engine tens of milliseconds while the program may reach another or
 * exit by itself; so they rank: output past the cap (what the program wrote, fixed once
 * written, and the answer is `truncated` exactly then), the time limit (the service's timer
 * fired before the engine saw the end), the memory limit (the engine's OOM record, which an OOM
 * kill of any process in the container sets), then the program's own exit status.
 */
function statusOf(exit: ContainerExit, timedOut: boolean, truncated: boolean): RunStatus {
  if (truncated) return 'output_limit_exceeded';
  if (timedOut) return 'timeout';
  if (exit.oomKilled) return 'memory_exceeded';
  return exit.exitCode === 0 ? 'success' : 'runtime_error';
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
