/**
 * Generic SIP trunk: the assistant's connect_to_agent / end_session -> the SIP request the
 * media core sends (pure, no I/O).
 *
 * Transfer (`service_desk.sip`):
 * - transfer_method `refer` (default): REFER (RFC 3515, blind transfer per RFC 5589) to
 *   `uri`; `transfer_headers` go where `transfer_headers_send_method` says: custom_header
 *   -> headers of the REFER; refer_to_header -> `?name=value` headers of the Refer-To URI;
 *   contact_header -> `?name=value` headers of the REFER's Contact URI.
 * - transfer_method `hangup`: BYE carrying the target in a header (default Transfer-Target)
 *   plus the transfer headers.
 * - The session history key travels in `User-to-User: <key>;encoding=ascii`, or in
 *   X-Watson-Assistant-Session-History-Key when the assistant supplies its own
 *   User-to-User. Every header value is at most 1024 bytes.
 *
 * - message_to_human_agent travels in the configured header (config agentMessageHeader),
 *   with the transfer headers: controls replaced by spaces (a value may hold no CR/LF,
 *   RFC 3261 section 25.1) and cut to 1024 bytes with a mark (../common/agent-message.ts).
 *
 * Hangup (end_session): BYE with `channel_options.voice_telephony.sip.headers`.
 *
 * Header names, values, the target URI and transfer_target_header are checked with
 * events/sip-header.ts first (header injection): a failure throws UnsafeSipHeaderError,
 * which the media core turns into the error outcome.
 */
import { assertSafeHeaders, assertSafeUri, UnsafeSipHeaderError } from '../../events/sip-header.ts';
import { truncateMarked, utf8Bytes, withoutControls } from '../common/agent-message.ts';
import type { SipAction } from '../types.ts';
import { ServiceDeskSip, type ServiceDeskSipInput, type SipTrunkConfig } from './config.ts';
import type { SipHeader } from '../../events/sip-header.ts';

/** The header the key travels in when the assistant set its own User-to-User. */
export const SESSION_HISTORY_KEY_HEADER = 'X-Watson-Assistant-Session-History-Key';
/** Longest header value, in bytes (UTF-8). */
export const MAX_HEADER_VALUE_BYTES = 1024;

export { UnsafeSipHeaderError };

/** The target or its headers cannot be sent. */
export class SipTrunkTranslateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SipTrunkTranslateError';
  }
}

const isUui = (name: string) => name.toLowerCase() === 'user-to-user';

/** Adds the session history key header to `headers` (see module doc). */
export function withSessionHistoryKey(headers: SipHeader[], key: string): SipHeader[] {
  return headers.some((h) => isUui(h.name))
    ? [...headers, { name: SESSION_HISTORY_KEY_HEADER, value: key }]
    : [...headers, { name: 'User-to-User', value: `${key};encoding=ascii` }];
}

/**
 * @throws UnsafeSipHeaderError when a name is not an RFC 3261 token or a value has a control
 *   character (events/sip-header.ts); SipTrunkTranslateError when a value is over 1024 bytes.
 */
export function checkHeaderValues(headers: SipHeader[]): SipHeader[] {
  assertSafeHeaders(headers, 'external');
  for (const h of headers) {
    if (Buffer.byteLength(h.value, 'utf8') > MAX_HEADER_VALUE_BYTES) throw new SipTrunkTranslateError(`header ${h.name} is over ${MAX_HEADER_VALUE_BYTES} bytes`);
  }
  return headers;
}

/** The raw target's header-bearing fields, checked before the schema so injection is told apart from a malformed target. */
function checkRawTarget(target: unknown): void {
  const t = (target !== null && typeof target === 'object' ? target : {}) as Record<string, unknown>;
  if (Array.isArray(t.transfer_headers)) {
    for (const h of t.transfer_headers as unknown[]) {
      const o = h as Partial<SipHeader> | null;
      if (o && typeof o.name === 'string' && typeof o.value === 'string') assertSafeHeaders([{ name: o.name, value: o.value }], 'external');
    }
  }
  if (typeof t.transfer_target_header === 'string') assertSafeHeaders([{ name: t.transfer_target_header, value: '' }], 'external');
  if (typeof t.uri === 'string') assertSafeUri(t.uri);
}

/**
 * connect_to_agent -> REFER or BYE.
 * @param target the assistant's service_desk.sip as it sent it, any shape (validated here; typed
 *   callers pass a {@link ServiceDeskSipInput})
 * @param sessionHistoryKey the call's key
 * @param messageToHumanAgent the assistant's summary; sent in config.agentMessageHeader when both are set
 * @throws UnsafeSipHeaderError (header name not a token, control character in a value or the
 *   URI); SipTrunkTranslateError (no uri and no agentUri, malformed target, oversized header)
 */
export function translateTransfer(target: unknown, sessionHistoryKey: string, config: Partial<SipTrunkConfig> = {}, messageToHumanAgent?: string): SipAction {
  checkRawTarget(target);
  const r = ServiceDeskSip.safeParse(target ?? {});
  if (!r.success) throw new SipTrunkTranslateError(`service_desk.sip: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const t = r.data;
  const uri = t.uri ?? config.agentUri;
  if (!uri) throw new SipTrunkTranslateError('service_desk.sip.uri is missing and no agent URI is configured');
  assertSafeUri(uri);
  const summary = config.agentMessageHeader && messageToHumanAgent ? withoutControls(messageToHumanAgent) : '';
  const withSummary = summary ? [...t.transfer_headers, { name: config.agentMessageHeader!, value: truncateMarked(summary, MAX_HEADER_VALUE_BYTES, utf8Bytes) }] : t.transfer_headers;
  const headers = checkHeaderValues(withSessionHistoryKey(withSummary, sessionHistoryKey));
  if (t.transfer_method === 'hangup') {
    const name = t.transfer_target_header ?? config.transferTargetHeader ?? 'Transfer-Target';
    return { kind: 'bye', headers: checkHeaderValues([{ name, value: uri }, ...headers]) };
  }
  const method = t.transfer_headers_send_method;
  return {
    kind: 'refer',
    target: uri,
    referToHeaders: method === 'refer_to_header' ? headers : [],
    contactHeaders: method === 'contact_header' ? headers : [],
    headers: method === 'custom_header' ? headers : [],
    acceptCodes: t.accept_transfer_reject_codes,
  };
}

/** end_session -> BYE with the assistant's headers. @throws UnsafeSipHeaderError (see {@link checkHeaderValues}); SipTrunkTranslateError for an oversized header. */
export function translateHangup(headers: SipHeader[] = []): SipAction {
  return { kind: 'bye', headers: checkHeaderValues(headers) };
}
