import { configSlice, type ConfigSlice } from '../config/config-slice.js';

/** The settings of the distributed mode's Redis. */
export const REDIS_CONFIG = configSlice('redis', ['REDIS_URL'] as const);
export type RedisConfig = ConfigSlice<(typeof REDIS_CONFIG.keys)[number]>;
