/** The sandbox as the benchmarks see it: the service's own policy, and the program they run. */
import { loadAppConfig } from '../../src/config/app-config.js';
import type { RuntimeDefinition } from '../../src/runtimes/runtime-catalogue.js';
import { SANDBOX_CONFIG } from '../../src/sandbox/sandbox.config.js';
import { sandboxPolicyFrom, type SandboxPolicy } from '../../src/sandbox/sandbox-policy.js';

/** The program every benchmark runs, and what it must print. */
export const BENCH_PROGRAM = 'print(2 + 2)';
export const BENCH_EXPECTED_OUTPUT = '4';

/** Label on every container a benchmark creates itself (value: which benchmark). */
export const BENCH_LABEL = 'safe-code-executor.bench';

/**
 * The service's sandbox policy under the bench's environment: read through the service's own
 * configuration, so a bench's containers get the very image, command and limits of the service.
 * Python's unless it names another runtime.
 */
export function benchPolicy(
  env: NodeJS.ProcessEnv = process.env,
  runtime?: RuntimeDefinition,
): SandboxPolicy {
  return sandboxPolicyFrom(SANDBOX_CONFIG.from(loadAppConfig(env)), runtime);
}

/** Throws unless `output` is what the bench's program prints. */
export function expectBenchOutput(output: string, what: string): void {
  if (output.trim() !== BENCH_EXPECTED_OUTPUT) {
    throw new Error(`${what} printed ${JSON.stringify(output)}`);
  }
}
