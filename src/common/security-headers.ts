import helmet from 'helmet';

/**
 * The Content-Security-Policy of every answer: the web page, Swagger UI at /docs and the API
 * alike. Everything comes from this server; CodeMirror and Swagger UI put styles inline
 * (`<style>` elements, style attributes) and Swagger UI draws its icons as data: images. The
 * page shows a run's returned pictures from `blob:` URLs it makes itself (PNG, JPEG and GIF
 * only: raster images, which run no script, so no other directive needs blob:).
 * `frame-ancestors` only works in a header (a meta tag cannot forbid framing), so no other
 * site can show the page or /docs in a frame to trick a click.
 */
export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * Security headers for every answer, by helmet: the policy above, X-Frame-Options: DENY for
 * browsers that predate frame-ancestors, X-Content-Type-Options: nosniff, and helmet's other
 * defaults. Not HSTS: the service speaks plain HTTP; whatever terminates TLS in front of it
 * decides that (and a plain-HTTP page must not be told to upgrade its requests either).
 */
export function securityHeaders(): ReturnType<typeof helmet> {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: false,
  });
}
