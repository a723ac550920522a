import { configSlice, type ConfigSlice } from '../config/config-slice.js';

/** The settings the sandbox module reads. */
export const SANDBOX_CONFIG = configSlice('sandbox', [
  'SANDBOX_IMAGE',
  'SANDBOX_IMAGE_ARCHIVE',
  'SANDBOX_RUNTIME',
  'SANDBOX_TIMEOUT_MS',
  'SANDBOX_MEMORY_MB',
  'SANDBOX_MAX_TIMEOUT_MS',
  'SANDBOX_MAX_MEMORY_MB',
  'SANDBOX_CPUS',
  'SANDBOX_PIDS_LIMIT',
  'SANDBOX_OUTPUT_LIMIT_BYTES',
  'SANDBOX_TMPFS_MB',
  'SANDBOX_POOL_SIZE',
  'OUT_FILES_MAX_COUNT',
  'OUT_FILES_MAX_BYTES',
  'SANDBOX_POOL_SIZES',
  'INSTANCE_LEASE_MS',
  'ENGINE_TIMEOUT_MS',
] as const);

export type SandboxConfig = ConfigSlice<(typeof SANDBOX_CONFIG.keys)[number]>;
