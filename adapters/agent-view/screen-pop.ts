/**
 * The screen pop's request logic, apart from the Lambda wiring: checks the signed view link
 * (./link.ts), reads the session history, and returns the HTTP response (status, security
 * headers, HTML).
 *
 * Responses: 200 transcript; 400 malformed view token; 403 unsigned link (the old
 * `?session_history_key=` form, or no token), a wrong signature, or an expired link; 404
 * unknown or expired session; 503 when the store cannot be read. The key is logged only
 * through redactKey (its first characters), never in full; the token never.
 */
import type { Logger } from '../../lib/log.ts';
import { redactKey } from '../../lib/redact.ts';
import type { SessionMeta, TranscriptEntry } from '../../lib/store/session-history.ts';
import { screenPopHeaders } from './headers.ts';
import { VIEW_PARAM, verifyViewToken } from './link.ts';
import { renderErrorPage, renderTranscriptPage } from './page.ts';

export interface ScreenPopResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Reads one session by key; undefined when unknown or expired (lib/store/session-history.ts readSession). */
export type SessionReader = (key: string) => Promise<{ meta: SessionMeta; turns: TranscriptEntry[] } | undefined>;

/** How the page is served. */
export interface ScreenPopOptions {
  /** HMAC secret of the view links (./config.ts screenPopSecret). */
  secret: string;
  /** Show DTMF digits as dots (SCREEN_POP_MASK_DTMF, default true). */
  maskDtmf: boolean;
  /** Clock, ms (tests). */
  nowMs?: number;
}

const respond = (statusCode: number, body: string): ScreenPopResponse => ({ statusCode, headers: screenPopHeaders(), body });

/**
 * Builds the screen pop response for the request's query parameters (`view`). Never throws.
 * @param query the query string parameters (API Gateway payload 2.0 queryStringParameters)
 */
export async function screenPopResponse(query: Record<string, string | undefined> | undefined, read: SessionReader, log: Pick<Logger, 'info' | 'warn' | 'error'>, opts: ScreenPopOptions): Promise<ScreenPopResponse> {
  const token = query?.[VIEW_PARAM];
  if (token === undefined) {
    log.info({ unsignedKey: query?.session_history_key !== undefined }, 'screen pop: unsigned link refused');
    return respond(403, renderErrorPage('Link not valid', 'Screen pop links are signed and time-limited. Open the link from the contact center for this contact.'));
  }
  const check = verifyViewToken(token, opts.secret, opts.nowMs);
  if (!check.ok) {
    log.info({ reason: check.reason, tokenLength: token.length }, 'screen pop: view link refused');
    if (check.reason === 'malformed') return respond(400, renderErrorPage('Invalid link', 'This link does not contain a valid view token.'));
    if (check.reason === 'expired') return respond(403, renderErrorPage('Link expired', 'This link has expired. Open the screen pop again from the contact center.'));
    return respond(403, renderErrorPage('Link not valid', 'This link was not issued by this service.'));
  }
  const key = check.key;
  let session: Awaited<ReturnType<SessionReader>>;
  try {
    session = await read(key);
  } catch (err) {
    log.error({ key: redactKey(key), err: (err as Error).name }, 'screen pop: session history unavailable');
    return respond(503, renderErrorPage('Temporarily unavailable', 'The conversation could not be loaded. Try again in a moment.'));
  }
  if (!session) {
    log.info({ key: redactKey(key) }, 'screen pop: unknown or expired session');
    return respond(404, renderErrorPage('Conversation not found', 'No conversation is stored for this link, or it has expired.'));
  }
  log.info({ key: redactKey(key), turns: session.turns.length, maskDtmf: opts.maskDtmf }, 'screen pop served');
  return respond(200, renderTranscriptPage(session, { maskDtmf: opts.maskDtmf }));
}
