/**
 * The UAS side of a SIP dialog (RFC 3261 section 12): identified by Call-ID + local tag +
 * remote tag, with the route set from Record-Route, the remote target from Contact, and
 * the local/remote CSeq numbers. Builds in-dialog requests (section 12.2.1.1) and checks
 * incoming ones (section 12.2.2).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { getHeader, getHeaderValues, type SipHeader, type SipRequest } from './message.ts';
import { param, parseCSeq, parseNameAddr } from './header-values.ts';
import { uriParam } from './uri.ts';
import { newBranch } from './transaction.ts';
import type { Flow } from './transport.ts';

/** A fresh tag (RFC 3261 section 19.3: at least 32 bits of randomness). */
export const newTag = () => randomBytes(6).toString('hex');

/** Dialog key used in the engine's table: Call-ID, local tag, remote tag. */
export const dialogKey = (callId: string, localTag: string, remoteTag: string) => `${callId}\n${localTag}\n${remoteTag}`;

/** Key of the dialog an incoming in-dialog request belongs to (To tag is ours), or undefined without a To tag. */
export function incomingDialogKey(req: SipRequest): string | undefined {
  const toTag = param(parseNameAddr(getHeader(req, 'to')!).params, 'tag');
  if (typeof toTag !== 'string') return undefined;
  const fromTag = param(parseNameAddr(getHeader(req, 'from')!).params, 'tag');
  return dialogKey(getHeader(req, 'call-id')!, toTag, typeof fromTag === 'string' ? fromTag : '');
}

/** UAS dialog state created from an initial INVITE. */
export class Dialog {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** To header of the INVITE (our identity), without tag. */
  readonly localHeader: string;
  /** From header of the INVITE (the peer's identity), with its tag. */
  readonly remoteHeader: string;
  remoteTarget: string;
  /** Route set, in the order Record-Route listed them (section 12.1.1). */
  readonly routeSet: string[];
  localSeq: number;
  remoteSeq: number;

  /**
   * @param localContact our Contact URI for this dialog, e.g. "sip:media@203.0.113.5:5060".
   * @param flow where in-dialog requests go: the INVITE's connection or source address
   *   (the previous hop, which is the first Record-Route or the peer itself).
   */
  constructor(
    invite: SipRequest,
    readonly flow: Flow,
    readonly localContact: string,
    readonly viaHost: string,
    readonly viaPort: number,
  ) {
    this.callId = getHeader(invite, 'call-id')!;
    this.localTag = newTag();
    const from = parseNameAddr(getHeader(invite, 'from')!);
    const tag = param(from.params, 'tag');
    this.remoteTag = typeof tag === 'string' ? tag : '';
    this.localHeader = getHeader(invite, 'to')!;
    this.remoteHeader = getHeader(invite, 'from')!;
    const contact = getHeaderValues(invite, 'contact')[0];
    this.remoteTarget = contact ? parseNameAddr(contact).uriText : from.uriText;
    this.routeSet = getHeaderValues(invite, 'record-route');
    this.remoteSeq = parseCSeq(getHeader(invite, 'cseq')!).seq;
    this.localSeq = randomInt(1, 10_000);
  }

  get key(): string {
    return dialogKey(this.callId, this.localTag, this.remoteTag);
  }

  /**
   * Checks an in-dialog request's CSeq (section 12.2.2): lower than the last one is out of
   * order (answer 500). Updates the remote CSeq and, for target-refresh requests, the
   * remote target.
   */
  acceptRemote(req: SipRequest): boolean {
    const seq = parseCSeq(getHeader(req, 'cseq')!).seq;
    if (req.method !== 'ACK' && req.method !== 'CANCEL') {
      if (seq < this.remoteSeq) return false;
      this.remoteSeq = seq;
    }
    if (req.method === 'INVITE') {
      const contact = getHeaderValues(req, 'contact')[0];
      if (contact) this.remoteTarget = parseNameAddr(contact).uriText;
    }
    return true;
  }

  /** Builds an in-dialog request (section 12.2.1.1) with a new CSeq and a fresh Via branch. */
  createRequest(method: string, opts: { headers?: SipHeader[]; body?: Buffer; contentType?: string } = {}): SipRequest {
    let uri = this.remoteTarget;
    const routes = [...this.routeSet];
    if (routes.length) {
      const first = parseNameAddr(routes[0]!);
      if (uriParam(first.uri, 'lr') === undefined) {
        // Strict router (section 12.2.1.1): it goes in the Request-URI, the target last in Route.
        uri = first.uriText;
        routes.shift();
        routes.push(`<${this.remoteTarget}>`);
      }
    }
    this.localSeq++;
    const transport = this.flow.transport.toUpperCase();
    const headers: SipHeader[] = [
      { name: 'Via', value: `SIP/2.0/${transport} ${this.viaHost}:${this.viaPort};branch=${newBranch()};rport` },
      { name: 'Max-Forwards', value: '70' },
      ...routes.map((r) => ({ name: 'Route', value: r })),
      { name: 'From', value: `${this.localHeader};tag=${this.localTag}` },
      { name: 'To', value: this.remoteHeader },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${this.localSeq} ${method}` },
      { name: 'Contact', value: `<${this.localContact}>` },
      ...(opts.headers ?? []),
    ];
    if (opts.contentType) headers.push({ name: 'Content-Type', value: opts.contentType });
    return { kind: 'request', method, uri, headers, body: opts.body ?? Buffer.alloc(0) };
  }
}
