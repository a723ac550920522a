/**
 * Where a logged request or response keeps headers that carry credentials: the API key in
 * either header (X-API-Key or Authorization: Bearer), a proxy's credentials, and cookies both
 * ways. pino replaces their values with "[Redacted]", so a key never reaches a log line.
 */
export const SECRET_HEADER_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];
