export { RedisModule } from './redis.module.js';
export { connectRedis, FAIL_FAST, REDIS_CONNECTION, redisUnavailable } from './redis-connection.js';
export { REDIS_CONFIG, type RedisConfig } from './redis.config.js';
