/**
 * Error classification for vendor calls: which failures are worth retrying inside the
 * outcome deadline (lib/retry.ts) and, for the others, what to tell the media core.
 *
 * Retryable: throttling (HTTP 429, AWS ThrottlingException), server errors (5xx, AWS
 * InternalServiceException), network failures (no response) and per-attempt timeouts.
 * Not retryable: the vendor's validation errors (AWS InvalidParameterException,
 * InvalidRequestException, ResourceNotFoundException; HTTP 4xx) -> vendor_rejected; refused
 * credentials (401/403) -> auth_failed.
 */
import type { RetryDecision } from '../../lib/retry.ts';
import type { RejectReason } from '../../events/outcome.ts';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'ERR_CANCELED', 'UND_ERR_SOCKET']);
const AWS_RETRYABLE = new Set(['ThrottlingException', 'TooManyRequestsException', 'InternalServiceException', 'ServiceUnavailableException', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError', 'AbortError']);
const AWS_AUTH = new Set(['UnrecognizedClientException', 'InvalidSignatureException', 'AccessDeniedException', 'ExpiredTokenException', 'CredentialsProviderError']);

/** Credentials refused by a vendor (token endpoint or API); always `auth_failed`, never retried. */
export class VendorAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VendorAuthError';
  }
}

/** The parts of an axios error read here (duck-typed: importing axios would put it, and its
 * form-data dependency, into the Amazon Connect bundle too). */
interface HttpLikeError {
  isAxiosError: true;
  code?: string;
  message: string;
  response?: { status: number; headers?: Record<string, unknown>; data?: unknown };
  config?: { method?: string; url?: string };
}

function isAxiosError(err: unknown): err is HttpLikeError {
  return typeof err === 'object' && err !== null && (err as { isAxiosError?: unknown }).isAxiosError === true;
}

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Parses a Retry-After header (RFC 9110 section 10.2.3: delay-seconds or an HTTP-date).
 * @returns the wait in ms, or undefined when absent or malformed.
 */
export function parseRetryAfter(value: string | undefined | null, now = Date.now()): number | undefined {
  if (value == null || value === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Retry decision for an AWS SDK v3 error (client-connect). */
export function classifyAwsError(err: unknown): RetryDecision {
  const e = err as AwsLikeError;
  const status = e?.$metadata?.httpStatusCode;
  if (e?.name && AWS_RETRYABLE.has(e.name)) return { retry: true };
  if (status === 429 || (status !== undefined && status >= 500)) return { retry: true };
  if (e?.code && NETWORK_CODES.has(e.code)) return { retry: true };
  // An SDK error without an HTTP status never reached the service (socket error).
  if (status === undefined && e?.name && !AWS_AUTH.has(e.name) && !/Exception$/.test(e.name)) return { retry: true };
  return { retry: false };
}

/** Retry decision for an axios error; honours Retry-After on 429 and 503. */
export function classifyHttpError(err: unknown): RetryDecision {
  if (!isAxiosError(err)) {
    const name = (err as { name?: string })?.name;
    return { retry: name === 'AbortError' || name === 'TimeoutError' || name === 'CanceledError' };
  }
  const status = err.response?.status;
  if (status === undefined) return { retry: true };
  if (status === 429 || status === 503) {
    const header = err.response?.headers?.['retry-after'] as string | undefined;
    return { retry: true, afterMs: parseRetryAfter(header) };
  }
  return { retry: status >= 500 || status === 408 };
}

/** Failures before any byte reached the vendor: the request certainly was not applied. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ERR_INVALID_URL', 'CredentialsProviderError']);

/**
 * true when the vendor may have applied the request although no answer came back: a timeout
 * or abort of an attempt, a connection reset or broken pipe, a socket closed before the
 * response (no HTTP status). A refused connection or failed DNS lookup is not ambiguous (the
 * request never left), nor is any HTTP answer (the vendor said what happened).
 */
export function isAmbiguousFailure(err: unknown): boolean {
  if (err instanceof VendorAuthError) return false;
  const e = err as { name?: string; code?: string; message?: string; response?: unknown; $metadata?: { httpStatusCode?: number } };
  if (!e || typeof e !== 'object') return false;
  if (isAxiosError(err)) return err.response === undefined && !NOT_SENT_CODES.has(err.code ?? '');
  if (e.$metadata?.httpStatusCode !== undefined) return false;
  if (e.code && NOT_SENT_CODES.has(e.code)) return false;
  if (e.name && NOT_SENT_CODES.has(e.name)) return false;
  if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.name === 'CanceledError' || e.name === 'RequestTimeout') return true;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  return /socket hang up|ECONNRESET|EPIPE|other side closed/i.test(e.message ?? '');
}

/** Why a non-retryable vendor error rejects the outcome; `message` is safe to log. */
export function rejectionFor(err: unknown): { reason: RejectReason; message: string } {
  if (err instanceof VendorAuthError) return { reason: 'auth_failed', message: err.message };
  if (isAxiosError(err)) {
    const status = err.response?.status;
    const body = err.response?.data;
    const detail = typeof body === 'string' ? body : body ? JSON.stringify(body) : err.code ?? err.message;
    const message = `HTTP ${status ?? 'error'} from ${err.config?.method?.toUpperCase() ?? ''} ${safePath(err.config?.url)}: ${String(detail).slice(0, 200)}`;
    return { reason: status === 401 || status === 403 ? 'auth_failed' : 'vendor_rejected', message };
  }
  const e = err as AwsLikeError;
  const status = e?.$metadata?.httpStatusCode;
  const message = `${e?.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${String(e?.message ?? err).slice(0, 200)}`;
  return { reason: (e?.name && AWS_AUTH.has(e.name)) || status === 403 || status === 401 ? 'auth_failed' : 'vendor_rejected', message };
}

/** Path of a URL without its query string (p1..p9 and tokens stay out of logs). */
function safePath(url: string | undefined): string {
  if (!url) return '';
  try {
    return new URL(url).pathname;
  } catch {
    return url.split('?')[0] ?? '';
  }
}
