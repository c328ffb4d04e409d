/**
 * HTTP response headers of every screen pop response (page, 404, 400, 503).
 *
 * - Content-Security-Policy (CSP Level 3): nothing may load or run (default-src 'none'),
 *   scripts are forbidden outright, the one inline stylesheet is allowed by its hash,
 *   no framing restrictions beyond what the contact center needs (frame-ancestors is left
 *   out on purpose: Flex, CXone and the Connect agent workspace show the page in an iframe).
 * - X-Content-Type-Options nosniff, Cache-Control no-store (a transcript is personal data),
 *   Referrer-Policy no-referrer (the key is in the URL and must not leak to other sites).
 */
import { PAGE_CSS_HASH } from './styles.ts';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'none'",
  `style-src ${PAGE_CSS_HASH}`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Headers for an HTML response of the screen pop. */
export function screenPopHeaders(): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
  };
}
