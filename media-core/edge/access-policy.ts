/**
 * Who may signal to the media core, decided per integration (the integration is the one
 * whose number the Request-URI calls). Order, cheapest and most stateless first:
 *
 * 1. At the transport, before parsing and before any state: a datagram or connection whose
 *    source address no integration allows (or, in trusted-proxy mode, that is not a
 *    configured proxy) is dropped silently and counted (`sourceAllowed`).
 * 2. Before a transaction exists and before 100 Trying (`checkRequest`): the per-source
 *    token bucket for out-of-dialog requests, then the matched integration's own rules:
 *    its allowlist (shared ranges such as Chime's narrow, they do not authenticate), TLS
 *    only, and digest authentication (a 401 challenge sent statelessly).
 *
 * In trusted-proxy mode (`trustedProxies`, e.g. Kamailio in front) the proxy enforces
 * allowlists and rate limits: only the proxy addresses are accepted and steps 2's
 * allowlist, TLS-only and rate checks are skipped; digest still applies when configured.
 */
import { createHash } from 'node:crypto';
import { DigestAuthenticator, type DigestOptions } from './digest.ts';
import { SourceSet } from './source-set.ts';
import { TokenBuckets, type TokenBucketOptions } from './token-bucket.ts';
import { sipDroppedTotal, sipRefusedTotal } from './edge-metrics.ts';
import { getHeader, getHeaders, type SipHeader, type SipRequest } from '../sip/message.ts';
import { parseUri } from '../sip/uri.ts';

/** One integration's access rules. */
export interface IntegrationAccess {
  /** The integration's number (E.164), matched against the Request-URI user. */
  number: string;
  /** Source ranges (CIDR) allowed to signal for this number. */
  allow: string[];
  /** Accept this number's requests over TLS only (others are dropped). */
  tlsOnly?: boolean;
  /** Digest authentication (RFC 3261 section 22, RFC 8760) of out-of-dialog requests. */
  digest?: DigestOptions;
}

/** Access settings of the whole edge. */
export interface SipAccessOptions {
  integrations: IntegrationAccess[];
  /** Proxy addresses (CIDR). When set, only these may signal, and allowlists and rate limits are the proxy's. */
  trustedProxies?: string[];
  /**
   * Per-source bucket for out-of-dialog requests (default 120/s, burst 240, 10000 sources).
   * Sized for a carrier: a trunk's SBC (Twilio, Chime Voice Connector, CXone) is one source
   * for all of its calls, so a per-source budget below the instance's call rate would drop
   * real callers' INVITEs. Sources outside every allowlist never reach these buckets.
   */
  rateLimit?: TokenBucketOptions;
  /**
   * Per-source bucket for INVITEs on top of the above (default 60/s, burst 120: about twice
   * the ~28 calls/s an instance on 2 cores admits, so a carrier's SBC offering more gets 503
   * from admission, and can fail over, instead of silence).
   */
  inviteRateLimit?: TokenBucketOptions;
  /**
   * Per-source budget of messages of any kind, checked before parsing (default 600/s, burst
   * 1200), and of malformed messages (default 10/s, burst 20): a source over either has its
   * messages dropped unparsed until its bucket refills. Not applied behind trusted proxies.
   */
  messageRateLimit?: TokenBucketOptions;
  malformedRateLimit?: TokenBucketOptions;
}

/** What to do with a request: go on, drop it silently, or answer it statelessly. */
export type AccessVerdict = { action: 'accept' } | { action: 'drop'; reason: string } | { action: 'respond'; status: number; headers: SipHeader[] };

const digitsOf = (s: string) => s.replace(/[^0-9]/g, '');

/** The edge's access policy (see the module comment for the order of checks). */
export class SipAccessPolicy {
  private readonly proxies?: SourceSet;
  private readonly anyIntegration: SourceSet;
  private readonly byNumber = new Map<string, { access: IntegrationAccess; sources: SourceSet; digest?: DigestAuthenticator }>();
  private readonly requests: TokenBuckets;
  private readonly invites: TokenBuckets;
  private readonly messages: TokenBuckets;
  private readonly malformed: TokenBuckets;

  /** @throws RangeError on a malformed CIDR or rate. */
  constructor(readonly opts: SipAccessOptions) {
    this.proxies = opts.trustedProxies?.length ? new SourceSet(opts.trustedProxies) : undefined;
    this.anyIntegration = new SourceSet(opts.integrations.flatMap((i) => i.allow));
    for (const i of opts.integrations)
      this.byNumber.set(digitsOf(i.number), { access: i, sources: new SourceSet(i.allow), digest: i.digest ? new DigestAuthenticator(i.digest) : undefined });
    this.requests = new TokenBuckets(opts.rateLimit ?? { ratePerS: 120, burst: 240 });
    this.invites = new TokenBuckets(opts.inviteRateLimit ?? { ratePerS: 60, burst: 120 });
    this.messages = new TokenBuckets(opts.messageRateLimit ?? { ratePerS: 600, burst: 1200 });
    this.malformed = new TokenBuckets(opts.malformedRateLimit ?? { ratePerS: 10, burst: 20 });
  }

  /** True in trusted-proxy mode. */
  get behindProxy(): boolean {
    return !!this.proxies;
  }

  /** Step 1: may this address send anything at all? Counts a refusal as dropped{reason="source"}. */
  sourceAllowed(address: string): boolean {
    const ok = this.proxies ? this.proxies.has(address) : this.anyIntegration.has(address);
    if (!ok) sipDroppedTotal.inc({ reason: 'source' });
    return ok;
  }

  /**
   * Before parsing each message from an allowed source: its message budget, and whether it
   * has used up its malformed budget. Counts a refusal as dropped{reason="rate"|"malformed_rate"}.
   */
  admitMessage(address: string, nowMs = Date.now()): boolean {
    if (this.proxies) return true;
    if (!this.malformed.available(address, nowMs)) {
      sipDroppedTotal.inc({ reason: 'malformed_rate' });
      return false;
    }
    if (!this.messages.take(address, nowMs)) {
      sipDroppedTotal.inc({ reason: 'rate' });
      return false;
    }
    return true;
  }

  /** A message from `address` failed to parse: spend one token of its malformed budget. */
  noteMalformed(address: string, nowMs = Date.now()): void {
    if (!this.proxies) this.malformed.take(address, nowMs);
  }

  /**
   * Step 2, for a request that would open a server transaction (not ACK, not a
   * retransmission). `inDialog`: it belongs to a dialog we hold (rate limits do not apply).
   */
  checkRequest(req: SipRequest, flow: { transport: string; address: string }, inDialog: boolean): AccessVerdict {
    const drop = (reason: string): AccessVerdict => {
      sipDroppedTotal.inc({ reason });
      return { action: 'drop', reason };
    };
    if (inDialog) return { action: 'accept' };
    if (!this.proxies) {
      if (!this.requests.take(flow.address)) return drop('rate');
      if (req.method === 'INVITE' && !this.invites.take(flow.address)) return drop('rate');
    }
    let user: string | undefined;
    try {
      user = parseUri(req.uri).user;
    } catch {
      user = undefined;
    }
    const entry = user ? this.byNumber.get(digitsOf(user)) : undefined;
    if (!entry) return { action: 'accept' }; // OPTIONS pings, unknown numbers: answered as RFC 3261 says
    if (!this.proxies) {
      if (!entry.sources.has(flow.address)) return drop('source');
      if (entry.access.tlsOnly && flow.transport !== 'tls') return drop('tls_required');
    }
    // RFC 3261 section 22.1: CANCEL and ACK cannot be challenged.
    if (entry.digest && req.method !== 'CANCEL' && req.method !== 'ACK') {
      const r = entry.digest.verify([...getHeaders(req, 'authorization'), ...getHeaders(req, 'proxy-authorization')], req.method, flow.address);
      if (!r.ok) {
        sipRefusedTotal.inc({ status: '401' });
        return { action: 'respond', status: 401, headers: entry.digest.challenge(flow.address, r.stale).map((value) => ({ name: 'WWW-Authenticate', value })) };
      }
    }
    return { action: 'accept' };
  }
}

/**
 * The To tag of a response sent without state (RFC 3261 section 8.2.6.2 asks for one on
 * every response but 100): derived from Call-ID, From tag and CSeq, so a retransmitted
 * request gets the same tag without our remembering it.
 */
export function statelessToTag(req: SipRequest): string {
  return createHash('sha256')
    .update(`${getHeader(req, 'call-id') ?? ''}|${getHeader(req, 'from') ?? ''}|${getHeader(req, 'cseq') ?? ''}`)
    .digest('hex')
    .slice(0, 16);
}
