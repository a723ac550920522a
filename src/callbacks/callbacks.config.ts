import { configSlice, type ConfigSlice } from '../config/config-slice.js';

/** The settings the callbacks module reads. */
export const CALLBACKS_CONFIG = configSlice('callbacks', [
  'CALLBACK_SECRET',
  'CALLBACK_ALLOWED_HOSTS',
  'CALLBACK_TIMEOUT_MS',
  'CALLBACK_MAX_ATTEMPTS',
  'CALLBACK_BACKOFF_MS',
] as const);

export type CallbacksConfig = ConfigSlice<(typeof CALLBACKS_CONFIG.keys)[number]>;
