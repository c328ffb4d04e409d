/**
 * SIP message serializer (RFC 3261 section 7): start line, headers in list order,
 * Content-Length set from the body (any Content-Length in the list is replaced).
 */
import { headerProblem, isSipToken, UnsafeSipHeaderError } from '../../events/sip-header.ts';
import type { SipHeader, SipMessage, SipRequest, SipResponse } from './message.ts';

export { UnsafeSipHeaderError };

/**
 * The last guard before bytes leave (header injection, request smuggling): the method is a
 * token, the Request-URI has no whitespace or control character, the reason phrase no CR or
 * LF, every header name is an RFC 3261 token and no value contains CR or LF
 * (events/sip-header.ts, origin 'parsed': headers copied from a parsed request keep what the
 * parser accepted). Callers that put outside input in a message check it first and call this
 * to turn a failure into their error path before any transaction starts.
 * @throws UnsafeSipHeaderError naming the first problem.
 */
export function assertSerializable(msg: SipMessage): void {
  if (msg.kind === 'request') {
    if (!isSipToken(msg.method)) throw new UnsafeSipHeaderError(`method ${JSON.stringify(msg.method.slice(0, 20))} is not a token`);
    if (/[\s\u0000-\u001f\u007f]/.test(msg.uri)) throw new UnsafeSipHeaderError('Request-URI contains whitespace or a control character');
  } else if (/[\r\n]/.test(msg.reason)) throw new UnsafeSipHeaderError('reason phrase contains CR or LF');
  for (const h of msg.headers) {
    const p = headerProblem(h, 'parsed');
    if (p) throw new UnsafeSipHeaderError(p);
  }
}

/**
 * Serializes a message to octets with CRLF line ends and an exact Content-Length.
 * @throws UnsafeSipHeaderError when {@link assertSerializable} refuses the message: nothing
 *   malformed is ever written.
 */
export function serializeMessage(msg: SipMessage): Buffer {
  assertSerializable(msg);
  const start = msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  let head = start + '\r\n';
  for (const h of msg.headers) if (h.name.toLowerCase() !== 'content-length') head += `${h.name}: ${h.value}\r\n`;
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;
  return msg.body.length ? Buffer.concat([Buffer.from(head, 'utf8'), msg.body]) : Buffer.from(head, 'utf8');
}

/** Default reason phrases (RFC 3261 section 21 and extensions used here). */
export const REASONS: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'Version Not Supported',
  603: 'Decline',
};

/**
 * Builds a response to `req` per RFC 3261 section 8.2.6.2: Via, From, To, Call-ID and CSeq
 * copied (Record-Route too for dialog-creating 2xx/1xx, section 12.1.1); a To tag added
 * when `toTag` is given and the To has none.
 */
export function buildResponse(
  req: Pick<SipRequest, 'headers'>,
  status: number,
  opts: { reason?: string; toTag?: string; headers?: SipHeader[]; body?: Buffer; copyRecordRoute?: boolean } = {},
): SipResponse {
  const headers: SipHeader[] = [];
  for (const h of req.headers) {
    const n = h.name.toLowerCase();
    if (n === 'via' || n === 'from' || n === 'call-id' || n === 'cseq' || (opts.copyRecordRoute && n === 'record-route')) headers.push({ ...h });
    else if (n === 'to') {
      const hasTag = /;\s*tag\s*=/i.test(h.value);
      headers.push({ name: h.name, value: opts.toTag && !hasTag ? `${h.value};tag=${opts.toTag}` : h.value });
    }
  }
  if (opts.headers) headers.push(...opts.headers);
  return { kind: 'response', status, reason: opts.reason ?? REASONS[status] ?? 'Unknown', headers, body: opts.body ?? Buffer.alloc(0) };
}
