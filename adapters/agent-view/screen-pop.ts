/**
 * The screen pop's request logic, apart from the Lambda wiring: validates the key, reads the
 * session history, and returns the HTTP response (status, security headers, HTML).
 *
 * Responses: 200 transcript; 400 malformed key (not 22 base64url characters, or missing);
 * 404 unknown or expired key; 503 when the store cannot be read. The key is logged only
 * through redactKey (its first characters), never in full.
 */
import type { Logger } from '../../lib/log.ts';
import { redactKey } from '../../lib/redact.ts';
import type { SessionMeta, TranscriptEntry } from '../../lib/store/session-history.ts';
import { screenPopHeaders } from './headers.ts';
import { isSessionHistoryKey } from './key.ts';
import { renderErrorPage, renderTranscriptPage } from './page.ts';

export interface ScreenPopResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Reads one session by key; undefined when unknown or expired (lib/store/session-history.ts readSession). */
export type SessionReader = (key: string) => Promise<{ meta: SessionMeta; turns: TranscriptEntry[] } | undefined>;

const respond = (statusCode: number, body: string): ScreenPopResponse => ({ statusCode, headers: screenPopHeaders(), body });

/** Builds the screen pop response for `key` (the session_history_key query parameter). Never throws. */
export async function screenPopResponse(key: string | undefined, read: SessionReader, log: Pick<Logger, 'info' | 'warn' | 'error'>): Promise<ScreenPopResponse> {
  const keyLength = key?.length ?? 0;
  if (!isSessionHistoryKey(key)) {
    log.info({ keyLength }, 'screen pop: malformed session history key');
    return respond(400, renderErrorPage('Invalid link', 'This link does not contain a valid session history key.'));
  }
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
  log.info({ key: redactKey(key), turns: session.turns.length }, 'screen pop served');
  return respond(200, renderTranscriptPage(session));
}
