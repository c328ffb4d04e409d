/**
 * The CXone script's way to a signed screen-pop link (the agent's PopURL). The signal carries
 * only `p1` = the session history key, which alone no longer opens the screen pop
 * (adapters/agent-view/link.ts), so the script's REST action asks for the link at the
 * transfer, in its OnSignal branch before Reqagent:
 *
 *   POST /nice-cxone/screen-pop-link, header `x-api-key: <the mint API key>`,
 *   body `{"sessionHistoryKey": "{p1}"}`
 *   -> 200 `{"screenPopUrl": "<base>/agent?view=<key>.<expires>.<HMAC>", "expiresAt": <epoch s>}`
 *
 * and Onanswer opens it with PopURL (infra/nice-cxone/README.md). The API key is the contact
 * token mint's, compared in constant time (./contact-token.ts apiKeyMatches): a missing or
 * wrong key answers 403 and nothing else happens. A body that is not JSON, or a key that is not
 * a session history key (22 base64url characters; "hangup" included), answers 400.
 */
import { isSessionHistoryKey } from '../agent-view/key.ts';
import { mintViewToken } from '../agent-view/link.ts';
import { apiKeyMatches } from './contact-token.ts';

/** Largest request body read, bytes. */
export const MAX_LINK_BODY_BYTES = 1024;

export interface LinkRequest {
  /** The x-api-key header value. */
  apiKey: string | undefined;
  /** Raw body, base64 undone. */
  body: string | undefined;
}

export interface LinkSettings {
  apiKey: string;
  /** The screen pop's HMAC secret (adapters/agent-view/config.ts screenPopSecret). */
  secret: string;
  /** The GET /agent URL (adapters/agent-view/link.ts agentPageUrl). */
  pageUrl: string;
  /** Validity after now, seconds (SCREEN_POP_LINK_TTL_SECONDS). */
  ttlSeconds: number;
  /** Epoch ms (tests). */
  nowMs?: number;
}

export type LinkResponse =
  | { status: 200; body: { screenPopUrl: string; expiresAt: number }; sessionHistoryKey: string }
  | { status: 400 | 403; body: { error: string } };

/** Answers one link request. Never throws for bad input. */
export function screenPopLinkForRequest(req: LinkRequest, s: LinkSettings): LinkResponse {
  if (!apiKeyMatches(req.apiKey, s.apiKey)) return { status: 403, body: { error: 'Forbidden' } };
  if (!req.body || Buffer.byteLength(req.body, 'utf8') > MAX_LINK_BODY_BYTES) {
    return { status: 400, body: { error: `body must be JSON {"sessionHistoryKey": "<key>"} of at most ${MAX_LINK_BODY_BYTES} bytes` } };
  }
  let key: unknown;
  try {
    key = (JSON.parse(req.body) as { sessionHistoryKey?: unknown })?.sessionHistoryKey;
  } catch {
    return { status: 400, body: { error: 'body is not JSON' } };
  }
  if (!isSessionHistoryKey(key)) return { status: 400, body: { error: 'sessionHistoryKey must be a session history key (p1 of a transfer signal)' } };
  const token = mintViewToken(key, s.secret, { nowMs: s.nowMs, ttlSeconds: s.ttlSeconds });
  const expiresAt = Number(token.split('.')[1]);
  return { status: 200, body: { screenPopUrl: `${s.pageUrl}?view=${token}`, expiresAt }, sessionHistoryKey: key };
}
