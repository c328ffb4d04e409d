/**
 * The inbound call: the {@link Call} of media-core/call/types.ts, over one UAS dialog
 * (RFC 3261 sections 12-15) and one RTP session. Handles answer (200 OK retransmitted until
 * ACK, section 13.3.1.4), reject, CANCEL, BYE both ways, re-INVITE and UPDATE (hold, session
 * refresh: RFC 3264 answer on the same port), INFO dtmf-relay, outgoing REFER with NOTIFY
 * tracking (RFC 3515) and DTMF sending.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { redactNumber } from '../../lib/redact.ts';
import type { AudioSource, Call, CallInfo, HangupEvent, PlaybackResult, ReferOptions, ReferResult } from '../call/types.ts';
import { getHeader, type SipRequest, type SipResponse } from '../sip/message.ts';
import type { Flow } from '../sip/transport.ts';
import { assertSerializable, buildResponse } from '../sip/serialize.ts';
import type { Dialog } from '../sip/dialog.ts';
import type { ServerTransaction, TransactionLayer } from '../sip/transaction.ts';
import { parseCSeq, parseNameAddr } from '../sip/header-values.ts';
import { parseUri } from '../sip/uri.ts';
import { acceptAnswer, createOffer, isRejection, negotiateAnswer, type SdpNegotiation } from '../media/sdp.ts';
import type { MediaSession } from '../media/media-session.ts';
import { relayAudio } from './audio-relay.ts';
import { srtpRefusal, type MediaPolicy } from '../media/media-policy.ts';
import { negotiateSessionTimer, sessionTimerDelayMs, sessionTimerHeaders, type SessionTimer } from './session-timer.ts';
import { formatDtmfRelay, parseDtmfRelay } from './info-dtmf.ts';
import { ReferTracker } from './refer-tracker.ts';
import { withUriHeaders, type SipHeader } from '../../events/sip-header.ts';

/** Methods we accept (Allow header, RFC 3261 section 20.5). */
export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, REFER, UPDATE';
/** Option tags we support (Supported header). */
export const SUPPORTED = 'replaces, norefersub, timer';

/** What a call needs from the engine. */
export interface CallContext {
  transactions: TransactionLayer;
  /** The engine's logger; the call logs through a child with its Call-ID. */
  logger: Logger;
  /** Address put in SDP c= lines. */
  sdpAddress: string;
  /** Local development: loopback media destinations are accepted (sdp.ts destinationProblem). */
  allowLoopback: boolean;
  /** The integration's media policy; re-INVITEs are held to it too. */
  mediaPolicy: MediaPolicy;
  /** RFC 4028 session timers: our Min-SE in seconds (default 90), and ms per second of interval (default 1000; tests shrink it). */
  sessionTimer?: { minSeS?: number; unitMs?: number };
  t1Ms: number;
  /** Told once when the call ends (the engine forgets the dialog and frees the admission slot). */
  onEnded(call: SipCall): void;
  /** Told when the 200 OK to the initial INVITE is sent (setup latency metric), ms since INVITE arrival. */
  onSetupTime?(ms: number): void;
}

/** A 2xx to an INVITE being retransmitted until its ACK (RFC 3261 section 13.3.1.4). */
interface Pending2xx {
  cseq: number;
  response: SipResponse;
  tx: ServerTransaction;
  timer?: NodeJS.Timeout;
  deadline: NodeJS.Timeout;
  /** Our SDP offer in the 2xx when the INVITE had none: the answer comes in the ACK. */
  offer?: string;
  onAck: (ack: SipRequest) => void;
}

/**
 * One inbound call, from its INVITE on. The call alone does the SDP offer/answer (RFC 3264):
 * it negotiates the INVITE's offer when built (see offerProblem), answers in the 200, or
 * offers in the 200 when the INVITE had none and takes the answer from the ACK, and answers
 * re-offers in re-INVITE and UPDATE.
 */
export class SipCall extends EventEmitter implements Call {
  state: 'ringing' | 'answered' | 'ended' = 'ringing';
  readonly info: CallInfo;
  /** Why the INVITE's offer cannot be answered (no usable media, or the media policy refuses it): the engine rejects the call with 488. */
  readonly offerProblem: string | undefined;
  /** The call's logger (Call-ID, redacted caller, transport). */
  readonly log: Logger;
  /** The negotiation in force; undefined while the INVITE had no SDP and the ACK has not answered our offer. */
  private negotiation: SdpNegotiation | undefined;
  private pending2xx?: Pending2xx;
  private answerWaiters?: { resolve: () => void; reject: (e: Error) => void };
  private referState?: { tracker: ReferTracker; cseq: number };
  private hangupEmitted = false;
  private sdpVersion: number;
  private finalSent = false;
  /** The RFC 4028 session timer of this dialog, if negotiated, and its pending action. */
  private sessionTimer: SessionTimer | undefined;
  private sessionTimerHandle: NodeJS.Timeout | undefined;

  /** `inviteReceivedAt` is performance.now() at the INVITE's arrival (setup latency). */
  constructor(
    readonly dialog: Dialog,
    private readonly inviteTx: ServerTransaction,
    private readonly media: MediaSession,
    private readonly ctx: CallContext,
    private readonly inviteReceivedAt: number,
  ) {
    super();
    const invite = inviteTx.request;
    const offer = invite.body.length ? negotiateAnswer(invite.body.toString('utf8'), { address: ctx.sdpAddress, port: media.localPort, allowLoopback: ctx.allowLoopback }) : undefined;
    if (offer && isRejection(offer)) this.offerProblem = offer.reason;
    else {
      this.negotiation = offer;
      this.offerProblem = srtpRefusal(ctx.mediaPolicy, offer ? offer.srtp !== undefined : undefined, dialog.flow.transport);
    }
    this.sdpVersion = this.negotiation?.version ?? 1;
    this.info = callInfo(invite, dialog.flow, this.negotiation);
    this.log = ctx.logger.child({ callId: this.info.callId, caller: redactNumber(this.info.callerUser), transport: this.info.transport });
    relayAudio(this, media);
    media.on('digit', (d) => this.emit('digit', d));
    media.on('rtp-timeout', () => {
      this.log.warn('no RTP, comfort noise or RTCP received: ending call');
      void this.sendBye([], 'error', 'rtp-timeout');
    });
  }

  // ---- runtime-facing API (media-core/call/types.ts) ----

  async answer(): Promise<void> {
    if (this.state !== 'ringing' || this.finalSent) throw new Error(`cannot answer a call in state ${this.state}`);
    this.finalSent = true;
    const timer = negotiateSessionTimer(this.inviteTx.request, this.ctx.sessionTimer?.minSeS);
    this.sessionTimer = timer && 'intervalS' in timer ? timer : undefined; // too small was answered 422 by the engine
    let body: string;
    let offer: string | undefined;
    if (this.negotiation) {
      body = this.negotiation.answerSdp;
      this.applyNegotiation(this.negotiation);
    } else {
      offer = createOffer({ address: this.ctx.sdpAddress, port: this.media.localPort, version: this.sdpVersion, srtp: this.ctx.mediaPolicy.srtp === 'required' });
      body = offer;
    }
    const res = this.okResponse(this.inviteTx.request, body);
    const done = new Promise<void>((resolve, reject) => (this.answerWaiters = { resolve, reject }));
    this.send2xx(this.inviteTx, res, offer, (ack) => this.onInitialAck(ack, offer));
    this.ctx.onSetupTime?.(performance.now() - this.inviteReceivedAt);
    this.log.info('answered (200 OK sent)');
    return done;
  }

  reject(status: number, reason?: string, headers: SipHeader[] = []): void {
    if (this.state !== 'ringing' || this.finalSent) return;
    if (!(status >= 300 && status <= 699)) throw new RangeError(`reject status must be 300-699, got ${status}`);
    this.finalSent = true;
    this.inviteTx.respond(buildResponse(this.inviteTx.request, status, { reason, toTag: this.dialog.localTag, headers }));
    this.end('local', `rejected ${status}`);
  }

  async play(source: AudioSource): Promise<PlaybackResult> {
    if (this.state === 'ended') return { completed: false, playedMs: 0 };
    return this.media.play(source);
  }

  stopPlayback(): void {
    this.media.stopPlayback();
  }

  async sendDigits(digits: string, opts: { intervalMs?: number; durationMs?: number } = {}): Promise<void> {
    if (this.state !== 'answered') throw new Error('sendDigits needs an answered call');
    if (this.negotiation?.telephoneEventPt !== undefined) return this.media.sendDigits(digits, opts);
    const duration = opts.durationMs ?? 100;
    for (const d of digits) {
      if (this.state !== 'answered') return;
      const req = this.dialog.createRequest('INFO', { contentType: 'application/dtmf-relay', body: Buffer.from(formatDtmfRelay(d, duration)) });
      await this.ctx.transactions.sendRequest(req, this.dialog.flow).outcome;
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
    }
  }

  async refer(target: string, opts: ReferOptions = {}): Promise<ReferResult> {
    if (this.state !== 'answered') throw new Error('refer needs an answered call');
    if (this.referState && !this.referState.tracker.settledAlready) throw new Error('a REFER is already in progress');
    const referTo = withUriHeaders(target, opts.referToHeaders);
    const localUri = /<([^>]*)>/.exec(this.dialog.localHeader)?.[1] ?? this.dialog.localHeader.split(';')[0]!.trim();
    const headers: SipHeader[] = [
      { name: 'Refer-To', value: `<${referTo}>` },
      { name: 'Referred-By', value: opts.referredBy ? (opts.referredBy.includes('<') ? opts.referredBy : `<${opts.referredBy}>`) : `<${localUri}>` },
      ...(opts.headers ?? []),
    ];
    const req = this.dialog.createRequest('REFER', { headers });
    if (opts.contactHeaders?.length) {
      const contact = req.headers.find((h) => h.name === 'Contact');
      if (contact) contact.value = `<${withUriHeaders(this.dialog.localContact, opts.contactHeaders)}>`;
    }
    // Last guard before any transaction starts: an unsafe REFER throws here, the caller takes its error path.
    assertSerializable(req);
    const tracker = new ReferTracker(opts);
    this.referState = { tracker, cseq: this.dialog.localSeq };
    this.log.info({ target: redactTarget(target) }, 'sending REFER');
    const tx = this.ctx.transactions.sendRequest(req, this.dialog.flow);
    void tx.outcome.then((o) => {
      if ('response' in o) tracker.onReferResponse(o.response.status, o.response.reason);
      else tracker.onReferResponse('timeout' in o ? 408 : 503, 'timeout' in o ? 'Request Timeout' : 'transport error');
    });
    const result = await tracker.done;
    this.log.info({ result: result.status, code: 'code' in result ? result.code : undefined }, 'REFER finished');
    return result;
  }

  async hangup(headers: SipHeader[] = []): Promise<void> {
    if (this.state === 'ended') return;
    if (this.state === 'ringing' && !this.finalSent) {
      this.reject(603, 'Decline', headers);
      return;
    }
    await this.sendBye(headers, 'local', 'hangup');
  }

  // ---- engine-facing: requests of this dialog ----

  /** Ends the call for the engine (drain deadline, shutdown): 503 when unanswered, else BYE. Hangup reason by 'error'. */
  async shutdown(reason: string): Promise<void> {
    if (this.state === 'ended') return;
    if (this.state === 'ringing' && !this.finalSent) {
      this.finalSent = true;
      this.inviteTx.respond(buildResponse(this.inviteTx.request, 503, { toTag: this.dialog.localTag, headers: [{ name: 'Retry-After', value: '30' }] }));
      this.end('error', reason);
      return;
    }
    await this.sendBye([{ name: 'Reason', value: `SIP;cause=503;text="${reason}"` }], 'error', reason);
  }

  /** CANCEL matched this call's INVITE (RFC 3261 section 9.2): 487 when still unanswered. */
  onCancel(): void {
    if (this.state !== 'ringing' || this.finalSent) return;
    this.finalSent = true;
    this.inviteTx.respond(buildResponse(this.inviteTx.request, 487, { toTag: this.dialog.localTag }));
    this.end('remote', 'cancel');
  }

  /** ACK without a server transaction (ACK of a 2xx): stops retransmission of that 2xx. */
  onAck(ack: SipRequest): void {
    const p = this.pending2xx;
    if (!p) return;
    if (parseCSeq(getHeader(ack, 'cseq')!).seq !== p.cseq) return;
    clearTimeout(p.timer);
    clearTimeout(p.deadline);
    this.pending2xx = undefined;
    p.onAck(ack);
  }

  /** A new in-dialog request (already past CSeq checks) with its server transaction. */
  onRequest(req: SipRequest, tx: ServerTransaction): void {
    const respond = (status: number, opts: Parameters<typeof buildResponse>[2] = {}) => tx.respond(buildResponse(req, status, opts));
    switch (req.method) {
      case 'BYE':
        respond(200);
        this.end('remote', 'bye');
        return;
      case 'INVITE':
        this.onReinvite(req, tx);
        return;
      case 'UPDATE':
        this.onUpdate(req, tx);
        return;
      case 'OPTIONS':
        respond(200, { headers: capabilityHeaders() });
        return;
      case 'INFO': {
        const type = getHeader(req, 'content-type')?.split(';')[0]?.trim().toLowerCase();
        if (type === 'application/dtmf-relay') {
          const digit = parseDtmfRelay(req.body.toString('utf8'));
          respond(digit ? 200 : 400);
          if (digit && this.state === 'answered') this.emit('digit', digit);
          return;
        }
        respond(req.body.length ? 415 : 200, req.body.length ? { headers: [{ name: 'Accept', value: 'application/dtmf-relay' }] } : {});
        return;
      }
      case 'NOTIFY': {
        const event = getHeader(req, 'event')?.split(';')[0]?.trim().toLowerCase();
        if (event !== 'refer' || !this.referState) {
          respond(481);
          return;
        }
        respond(200);
        this.referState.tracker.onNotify(req.body.toString('utf8'), getHeader(req, 'subscription-state'));
        return;
      }
      case 'REFER':
        respond(405, { headers: [{ name: 'Allow', value: ALLOW }] });
        return;
      default:
        respond(501, { headers: [{ name: 'Allow', value: ALLOW }] });
    }
  }

  // ---- internals ----

  private okResponse(req: SipRequest, sdp: string | undefined): SipResponse {
    const headers: SipHeader[] = [
      { name: 'Contact', value: `<${this.dialog.localContact}>` },
      { name: 'Allow', value: ALLOW },
      { name: 'Supported', value: SUPPORTED },
      ...(this.sessionTimer ? sessionTimerHeaders(this.sessionTimer) : []),
    ];
    if (sdp !== undefined) headers.push({ name: 'Content-Type', value: 'application/sdp' });
    return buildResponse(req, 200, { toTag: this.dialog.localTag, headers, copyRecordRoute: true, body: sdp !== undefined ? Buffer.from(sdp) : undefined });
  }

  /** Sends a 2xx to an INVITE and retransmits it (UDP) until the ACK, at most 64*T1. */
  private send2xx(tx: ServerTransaction, res: SipResponse, offer: string | undefined, onAck: (ack: SipRequest) => void): void {
    const t1 = this.ctx.t1Ms;
    const p: Pending2xx = {
      cseq: parseCSeq(getHeader(tx.request, 'cseq')!).seq,
      response: res,
      tx,
      offer,
      onAck,
      deadline: setTimeout(() => {
        if (this.pending2xx !== p) return;
        clearTimeout(p.timer);
        this.pending2xx = undefined;
        this.log.warn('no ACK for 2xx within 64*T1: ending call');
        void this.sendBye([], 'error', 'no ACK');
      }, 64 * t1),
    };
    this.pending2xx = p;
    tx.respond(res);
    if (tx.flow.transport === 'udp') {
      let interval = t1;
      const again = () => {
        if (this.pending2xx !== p) return;
        tx.respond(res);
        interval = Math.min(interval * 2, 8 * t1); // T2, scaled with a test T1
        p.timer = setTimeout(again, interval);
      };
      p.timer = setTimeout(again, interval);
    }
  }

  private onInitialAck(ack: SipRequest, offer: string | undefined): void {
    if (offer !== undefined) {
      const n = ack.body.length ? acceptAnswer(offer, ack.body.toString('utf8'), this.ctx.allowLoopback) : undefined;
      if (!n || isRejection(n)) {
        // RFC 3261 section 13.3.1.4: an unacceptable answer in the ACK ends the call with BYE.
        this.log.warn({ reason: n && isRejection(n) ? n.reason : 'no SDP in ACK' }, 'bad SDP answer in ACK');
        this.answerWaiters?.reject(new Error('unacceptable SDP answer in ACK'));
        this.answerWaiters = undefined;
        void this.sendBye([{ name: 'Reason', value: 'SIP;cause=488;text="Not Acceptable Here"' }], 'error', 'bad SDP answer');
        return;
      }
      this.negotiation = n;
      this.applyNegotiation(n);
    }
    if (this.state !== 'ringing') return;
    this.state = 'answered';
    this.armSessionTimer();
    this.answerWaiters?.resolve();
    this.answerWaiters = undefined;
    this.emit('answered');
  }

  private applyNegotiation(n: SdpNegotiation): void {
    const held = n.direction === 'recvonly' || n.direction === 'inactive' || n.remote.address === '0.0.0.0';
    this.media.updateCodec({ codec: n.codec, payloadType: n.payloadType, telephoneEventPt: n.telephoneEventPt, srtp: n.srtp });
    if (!held) this.media.setRemote(n.remote.address, n.remote.port);
    this.media.hold(held);
    // RFC 3264 section 8.4: a peer that holds with a=inactive or a=recvonly (our sendonly), or
    // with c=0.0.0.0, legitimately sends nothing: no RTP inactivity timeout then.
    this.media.expectMedia((n.direction === 'sendrecv' || n.direction === 'recvonly') && n.remote.address !== '0.0.0.0');
  }

  private onReinvite(req: SipRequest, tx: ServerTransaction): void {
    if (this.state !== 'answered' || this.pending2xx) {
      tx.respond(buildResponse(req, this.state === 'answered' ? 491 : 500, {}));
      return;
    }
    if (!this.refreshedBy(req, tx)) return;
    tx.respond(buildResponse(req, 100, {}));
    if (!req.body.length) {
      const offer = createOffer({
        address: this.ctx.sdpAddress,
        port: this.media.localPort,
        sessionId: this.negotiation?.sessionId,
        version: ++this.sdpVersion,
        srtp: this.negotiation?.srtp !== undefined,
        srtpKey: this.negotiation?.srtp?.localKey,
      });
      this.send2xx(tx, this.okResponse(req, offer), offer, (ack) => {
        const n = ack.body.length ? acceptAnswer(offer, ack.body.toString('utf8'), this.ctx.allowLoopback) : undefined;
        if (n && !isRejection(n)) {
          this.negotiation = n;
          this.applyNegotiation(n);
        }
      });
      return;
    }
    const n = this.renegotiate(req);
    if (isRejection(n)) {
      tx.respond(buildResponse(req, 488, {}));
      return;
    }
    this.send2xx(tx, this.okResponse(req, n.answerSdp), undefined, () => undefined);
  }

  private onUpdate(req: SipRequest, tx: ServerTransaction): void {
    if (!this.refreshedBy(req, tx)) return;
    if (!req.body.length) {
      tx.respond(this.okResponse(req, undefined));
      return;
    }
    const n = this.renegotiate(req);
    tx.respond(isRejection(n) ? buildResponse(req, 488, {}) : this.okResponse(req, n.answerSdp));
  }

  /**
   * A re-INVITE or UPDATE from the peer refreshes the session (RFC 4028 section 10): adopt the
   * interval it asks for and restart the timer. @returns false when it was answered 422.
   */
  private refreshedBy(req: SipRequest, tx: ServerTransaction): boolean {
    const t = negotiateSessionTimer(req, this.ctx.sessionTimer?.minSeS);
    if (t && 'tooSmall' in t) {
      tx.respond(buildResponse(req, 422, { headers: [{ name: 'Min-SE', value: String(t.tooSmall) }] }));
      return false;
    }
    if (t) this.sessionTimer = t;
    this.armSessionTimer();
    return true;
  }

  /** (Re)starts the session timer: our refresh at half the interval, or BYE when the peer's refresh is overdue. */
  private armSessionTimer(): void {
    clearTimeout(this.sessionTimerHandle);
    const t = this.sessionTimer;
    if (!t || this.state !== 'answered') return;
    this.sessionTimerHandle = setTimeout(() => {
      if (this.state !== 'answered') return;
      if (t.refresher === 'uac') {
        this.log.warn({ intervalS: t.intervalS }, 'no session refresh (RFC 4028): ending call');
        void this.sendBye([{ name: 'Reason', value: 'SIP;cause=408;text="Session expired"' }], 'error', 'session-expired');
      } else void this.refreshSession(t);
    }, sessionTimerDelayMs(t, this.ctx.sessionTimer?.unitMs));
    this.sessionTimerHandle.unref();
  }

  /** Our refresh as the refresher (UPDATE without a body, RFC 4028 section 7.4); a dead peer gets BYE. */
  private async refreshSession(t: SessionTimer): Promise<void> {
    const req = this.dialog.createRequest('UPDATE', { headers: [...sessionTimerHeaders({ ...t, require: false }), { name: 'Supported', value: 'timer' }] });
    const o = await this.ctx.transactions.sendRequest(req, this.dialog.flow).outcome;
    if (this.state !== 'answered') return;
    if ('response' in o && o.response.status >= 200 && o.response.status < 300) {
      this.armSessionTimer();
      return;
    }
    this.log.warn({ status: 'response' in o ? o.response.status : 'timeout' }, 'session refresh failed (RFC 4028): ending call');
    await this.sendBye([], 'error', 'session refresh failed');
  }

  /** Answers a new offer on the same port and session id (RFC 3264 section 8), applying hold/unhold. */
  private renegotiate(req: SipRequest): ReturnType<typeof negotiateAnswer> {
    const n = negotiateAnswer(req.body.toString('utf8'), {
      address: this.ctx.sdpAddress,
      port: this.media.localPort,
      sessionId: this.negotiation?.sessionId,
      version: this.sdpVersion + 1,
      srtpKey: this.negotiation?.srtp?.localKey,
      allowLoopback: this.ctx.allowLoopback,
    });
    if (isRejection(n)) {
      this.log.info({ reason: n.reason }, 'unusable re-offer: 488');
      return n;
    }
    const refusal = srtpRefusal(this.ctx.mediaPolicy, n.srtp !== undefined, this.dialog.flow.transport);
    if (refusal) {
      this.log.info({ reason: refusal }, 'media policy: 488');
      return { rejected: true, status: 488, reason: refusal };
    }
    this.sdpVersion = n.version;
    this.negotiation = n;
    this.applyNegotiation(n);
    this.log.info({ direction: n.direction }, 'session modified');
    return n;
  }

  /** Sends BYE (section 15.1.1) with extra headers and ends the call at once; resolves on the BYE's final response or timeout. */
  private async sendBye(headers: SipHeader[], by: HangupEvent['by'], reason: string): Promise<void> {
    if (this.state === 'ended') return;
    let req = this.dialog.createRequest('BYE', { headers });
    try {
      assertSerializable(req);
    } catch (err) {
      // Never leave the call up because of a header: the BYE goes without the extra headers,
      // which is every vendor's error outcome (no attributes).
      this.log.error({ err: (err as Error).message }, 'BYE headers refused by the serializer; sending BYE without them');
      req = this.dialog.createRequest('BYE');
    }
    const tx = this.ctx.transactions.sendRequest(req, this.dialog.flow);
    this.end(by, reason);
    await tx.outcome;
  }

  /** Ends the call once: frees media, stops timers, emits 'hangup'. */
  end(by: HangupEvent['by'], reason: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    clearTimeout(this.sessionTimerHandle);
    if (this.pending2xx) {
      clearTimeout(this.pending2xx.timer);
      clearTimeout(this.pending2xx.deadline);
      this.pending2xx = undefined;
    }
    this.answerWaiters?.reject(new Error(`call ended before ACK (${reason})`));
    this.answerWaiters = undefined;
    this.referState?.tracker.abort(`call ended (${reason})`);
    try {
      this.media.close();
    } catch (err) {
      this.log.warn({ err }, 'closing media failed');
    }
    this.ctx.onEnded(this);
    this.log.info({ by, reason }, 'call ended');
    if (!this.hangupEmitted) {
      this.hangupEmitted = true;
      this.emit('hangup', { by, reason } satisfies HangupEvent);
    }
  }
}

/** Allow/Accept/Supported of OPTIONS answers (RFC 3261 section 11.2). */
export function capabilityHeaders(): SipHeader[] {
  return [
    { name: 'Allow', value: ALLOW },
    { name: 'Accept', value: 'application/sdp, application/dtmf-relay, message/sipfrag' },
    { name: 'Supported', value: SUPPORTED },
  ];
}

/** Transfer targets can be phone numbers: keep the scheme and host, hide the user. */
function redactTarget(target: string): string {
  return target.replace(/^(\w+:)([^@;?]+)/, (_m, s: string, u: string) => s + (u.length > 2 ? '*'.repeat(u.length - 2) + u.slice(-2) : u));
}

/** CallInfo from the initial INVITE and its negotiation (media-core/call/types.ts). */
function callInfo(req: SipRequest, flow: Flow, n: SdpNegotiation | undefined): CallInfo {
  const from = parseNameAddr(getHeader(req, 'from')!);
  const to = parseNameAddr(getHeader(req, 'to')!);
  return {
    callId: getHeader(req, 'call-id')!,
    requestUri: req.uri,
    fromUri: from.uriText,
    toUri: to.uriText,
    calledUser: parseUri(req.uri).user ?? '',
    callerUser: from.uri.user ?? '',
    callerDisplayName: from.displayName,
    inviteHeaders: req.headers.map((h) => ({ ...h })),
    transport: flow.transport,
    remote: { address: flow.address, port: flow.port },
    codec: n?.codec ?? 'PCMU',
    telephoneEvent: n?.telephoneEventPt !== undefined,
    srtp: !!n?.srtp,
  };
}
