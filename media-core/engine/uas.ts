/**
 * The media core's SIP user agent server (UAS) for inbound calls: transports, transactions,
 * dialogs and one {@link SipCall} per admitted INVITE, handed to the runtime's `onCall`
 * while ringing. Out-of-dialog OPTIONS are answered 200 (trunk and load balancer health
 * checks; 503 while draining), unknown methods 501, in-dialog requests of unknown dialogs 481
 * (RFC 3261 sections 8.2, 12.2.2), CANCEL as in section 9.2.
 *
 * The transaction layer calls {@link Uas.admit} (the edge's checks) and {@link Uas.onRequest},
 * which routes to onAck, onCancel, onOptions, onInvite or the call of the dialog.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { createLogger } from '../../lib/log.ts';
import { redactNumber } from '../../lib/redact.ts';
import type { Call } from '../call/types.ts';
import { getHeader, getHeaderValues, type SipRequest } from '../sip/message.ts';
import { buildResponse } from '../sip/serialize.ts';
import { parseUri } from '../sip/uri.ts';
import { SipTransport, type Flow, type TlsFiles } from '../sip/transport.ts';
import { DEFAULT_TIMERS, TransactionLayer, type ServerTransaction, type TransactionUser } from '../sip/transaction.ts';
import { Dialog, incomingDialogKey } from '../sip/dialog.ts';
import { PortPoolExhaustedError } from '../media/port-pool.ts';
import type { Scheduler } from '../media/scheduler.ts';
import { openCarrier, type PacingStats, type RtpCarrier } from '../media/carrier.ts';
import type { RtpPacerCounters } from '../media/native/rtp-pacer.ts';
import type { MediaSession } from '../media/media-session.ts';
import { OPEN_MEDIA_POLICY, type MediaPolicy } from '../media/media-policy.ts';
import { AdmissionControl, callLimit, type Admission, type AdmissionCheck, type Plan } from './admission.ts';
import { headroomChecks, type Headroom, type HeadroomOptions } from './headroom-checks.ts';
import { callsAdmitted, callsRefused } from '../observability/call-metrics.ts';
import { ALLOW, capabilityHeaders, SipCall, SUPPORTED } from './call.ts';
import { SipAccessPolicy, statelessToTag, type SipAccessOptions } from '../edge/access-policy.ts';
import { sipDroppedTotal } from '../edge/edge-metrics.ts';
import { negotiateSessionTimer } from './session-timer.ts';
import type { SipHeader } from '../../events/sip-header.ts';

/** Configuration of {@link Uas.start}. Ports 0 pick free ports (tests). */
export interface UasOptions {
  sip: {
    /** Address to bind, e.g. "127.0.0.1" in tests, "0.0.0.0" in the container. */
    address: string;
    /** UDP port (5060 in production); undefined disables UDP. */
    udpPort?: number;
    /** TCP port (5060); undefined disables TCP. */
    tcpPort?: number;
    /** TLS listener (5061) with PEM certificate and key files, reloaded when they change; `clientCaFile` requires client certificates signed by that CA (mTLS). */
    tls?: TlsFiles;
    /**
     * Who may signal (media-core/edge/access-policy.ts): per-integration source allowlists,
     * TLS only, digest, rate limits, or trusted proxies. Undefined: every source is accepted
     * (tests, and deployments whose firewall does it).
     */
    access?: SipAccessOptions;
    /** TCP/TLS connection caps and the header-section deadline (ms); see TransportOptions. */
    maxConnections?: number;
    maxConnectionsPerIp?: number;
    headerTimeoutMs?: number;
    /** Host or IP others reach us at, for Contact and Via (default: address). */
    publicHost?: string;
    /** Stream connection idle timeout, ms (default 300000). */
    idleTimeoutMs?: number;
    /** SO_RCVBUF of the UDP socket, bytes (default 4 MiB; Linux caps it at net.core.rmem_max). */
    udpRecvBufferBytes?: number;
  };
  rtp: {
    /** Address RTP sockets bind to. */
    address: string;
    /** Address written in SDP c= lines (default: address, or sip.publicHost when address is 0.0.0.0). */
    publicAddress?: string;
    portMin: number;
    portMax: number;
    /** End a call after this long without RTP, ms (0 = never, default 0; the config's default is 60000). */
    rtpTimeoutMs?: number;
    /**
     * Local development: accept loopback media destinations in SDP (sdp.ts destinationProblem).
     * Default: true exactly when `address` is a loopback address (only local peers can reach
     * such an engine); media-core/main.ts always sets it from the configuration.
     */
    allowLoopback?: boolean;
    /** Strict latching: how long after each SDP a new media source may be learned, ms (default 10000). */
    learningWindowMs?: number;
  };
  /** RFC 4028 session timers: our Min-SE, s (default 90), and ms per second of interval (default 1000; tests shrink it). */
  sessionTimer?: { minSeS?: number; unitMs?: number };
  /** The media policy (SRTP, SDES over TLS only, trusted media CIDRs) of a call by its called number; default OPEN_MEDIA_POLICY. */
  mediaPolicy?: (calledUser: string) => MediaPolicy | undefined;
  /** Concurrent-call limit: a number or a plan (trial 5, plus 100, enterprise 1000). */
  maxCalls: number | Plan;
  /**
   * What carries RTP (media-core/media/carrier.ts): 'native', the pacer thread of
   * media-core/native/ that sends each packet at its due time and reads every socket;
   * 'dgram', node:dgram from the event loop; 'auto' (default), native when the addon is built.
   * @throws (Uas.start) Error when 'native' is asked for and the addon is not available.
   */
  rtpIo?: 'auto' | 'native' | 'dgram';
  /**
   * Native pacer tuning: leadMs, how far ahead of due packets are built (default 100: event-loop
   * stalls up to that long leave the sends on time; adds no latency, since a new prompt is
   * built at once for the slots already run and a stopped one is withdrawn from the queue);
   * phases, send offsets each 20 ms slot is split into (default 80, one per 0.25 ms: the
   * packets due together are sent back to back, so the last of a batch waits for the others'
   * sendto; at 1,000 calls 80 phases make batches of about 12, and pacing p99 went from 1-2 ms
   * with 20 phases to under 1 ms, for about 8% more of the pacer thread's CPU); realtime, ask
   * for SCHED_FIFO (else nice -10) for the pacer thread (default true; needs CAP_SYS_NICE,
   * and without it the thread runs at normal priority).
   */
  rtpPacer?: { leadMs?: number; phases?: number; realtime?: boolean };
  /**
   * Admission by headroom (./headroom-checks.ts thresholds). Absent: no headroom checks, as in
   * tests that must not depend on load.
   */
  admission?: HeadroomOptions;
  /**
   * Admission checks run after the plan's count and the headroom checks, e.g. the fleet-wide
   * limit (./fleet-limit.ts: 486 fleet full, 503 table unreachable and the local share full).
   */
  admissionChecks?: AdmissionCheck[];
  /** Default drain deadline, ms (default 30000). */
  drainDeadlineMs?: number;
  /** RFC 3261 T1 in ms (default 500); tests shorten it. T2 and T4 scale with it. */
  t1Ms?: number;
  logger?: Logger;
}

/** What happens to the calls still up at the drain deadline. */
export interface DrainOptions {
  /** Ends one call the integration's way (media-core/conversation: transfer or error outcome). Should not throw. */
  action?: (call: Call) => Promise<void>;
  /** Time the actions get, all calls in parallel, ms (default 5000); then the rest get BYE. */
  actionMs?: number;
}

export type { PacingStats };

/** UAS counters. `setupMs` are the most recent INVITE-received-to-200-sent latencies (up to 100000). */
export interface UasMetrics {
  setupMs: number[];
  callsOffered: number;
  callsRejectedBusy: number;
  callsRejectedUnavailable: number;
  /** Transport counters; refusedSource, refusedConnections, headerTimeouts and idleClosed are the edge's drops. */
  transport: { received: number; malformed: number; dropped: number; sent: number; refusedSource: number; refusedConnections: number; headerTimeouts: number; idleClosed: number };
}

/** An admission that let the call in: `release` once when it ends. */
type Admitted = Extract<Admission, { admit: true }>;

/** An INVITE waiting for admission or media; a CANCEL meanwhile marks it. */
interface PendingInvite {
  cancelled: boolean;
}

/** A running SIP engine: start it with {@link Uas.start}. */
export class Uas implements TransactionUser {
  /** Bound ports per transport (undefined when disabled). */
  readonly ports: { udp?: number; tcp?: number; tls?: number };
  /** The 20 ms pacing scheduler of every call. */
  readonly scheduler: Scheduler;
  /** What carries RTP: the native pacer, or node:dgram on the main thread. */
  readonly rtpIo: 'native' | 'dgram';
  /** The admission in force (`draining`, `activeCalls`, `headroom()`). */
  readonly admission: AdmissionControl;
  /** The headroom monitors (event-loop delay, pacer lateness), when admission by headroom is on. */
  readonly headroom: Headroom | undefined;
  private readonly log: Logger;
  private readonly transactions: TransactionLayer;
  private readonly t1Ms: number;
  /** Host or IP others reach us at (Contact, Via). */
  private readonly host: string;
  /** Address written in SDP c= lines. */
  private readonly sdpAddress: string;
  private readonly allowLoopback: boolean;
  private readonly calls = new Map<string, SipCall>(); // by dialog key
  private readonly callsByInvite = new Map<string, SipCall>(); // by INVITE server transaction key
  private readonly pendingInvites = new Map<string, PendingInvite>(); // by INVITE server transaction key
  private readonly setupMs: number[] = [];
  private readonly counters = { callsOffered: 0, callsRejectedBusy: 0, callsRejectedUnavailable: 0 };

  /**
   * Starts the SIP engine: opens the RTP carrier, binds the listeners, and from then on calls
   * `onCall` with each admitted, ringing call; the runtime answers or rejects it.
   * @throws when a listener cannot bind or the TLS files cannot be read; RangeError on a bad plan or port range.
   */
  static async start(opts: UasOptions, onCall: (call: Call) => void): Promise<Uas> {
    const logger = opts.logger ?? createLogger('media-core');
    const limit = callLimit(opts.maxCalls);
    const carrier = openCarrier({
      io: opts.rtpIo,
      address: opts.rtp.address,
      portMin: opts.rtp.portMin,
      portMax: opts.rtp.portMax,
      pacer: opts.rtpPacer,
      onError: (err) => logger.error({ err }, 'RTP sender failed'),
    });
    logger.info({ rtpIo: carrier.kind, pacerAddon: carrier.nativeUnavailable, pacerScheduling: carrier.counters()?.policy }, 'RTP I/O');
    const access = opts.sip.access ? new SipAccessPolicy(opts.sip.access) : undefined;
    const transport = new SipTransport({
      address: opts.sip.address,
      udpPort: opts.sip.udpPort,
      tcpPort: opts.sip.tcpPort,
      tls: opts.sip.tls,
      idleTimeoutMs: opts.sip.idleTimeoutMs,
      maxConnections: opts.sip.maxConnections,
      maxConnectionsPerIp: access?.behindProxy ? Number.MAX_SAFE_INTEGER : opts.sip.maxConnectionsPerIp,
      headerTimeoutMs: opts.sip.headerTimeoutMs,
      sourceFilter: access ? (address) => access.sourceAllowed(address) : undefined,
      admitMessage: access ? (address) => access.admitMessage(address) : undefined,
      onMalformed: access ? (address) => access.noteMalformed(address) : undefined,
      onDrop: (reason) => sipDroppedTotal.inc({ reason }),
      udpRecvBufferBytes: opts.sip.udpRecvBufferBytes,
      logger,
    });
    try {
      await transport.start();
    } catch (err) {
      carrier.close();
      throw err;
    }
    return new Uas(opts, onCall, logger, limit, carrier, transport, access);
  }

  private constructor(
    private readonly opts: UasOptions,
    private readonly onCall: (call: Call) => void,
    logger: Logger,
    limit: number,
    private readonly carrier: RtpCarrier,
    private readonly transport: SipTransport,
    private readonly access: SipAccessPolicy | undefined,
  ) {
    this.log = logger;
    this.ports = transport.ports;
    this.scheduler = carrier.scheduler;
    this.rtpIo = carrier.kind;
    this.t1Ms = opts.t1Ms ?? DEFAULT_TIMERS.t1;
    this.headroom = opts.admission ? headroomChecks(opts.admission, carrier.latenessSnapshot) : undefined;
    this.admission = new AdmissionControl(limit, {
      checks: [...(this.headroom?.checks ?? []), ...(opts.admissionChecks ?? [])],
      onDecision: (d) => {
        if (!d.admitted) return callsRefused.inc({ cause: d.cause, status: d.refusal?.status });
        callsAdmitted.inc();
        this.headroom?.demand.noteAdmitted();
      },
    });
    this.host = opts.sip.publicHost ?? opts.sip.address;
    this.sdpAddress = opts.rtp.publicAddress ?? (opts.rtp.address === '0.0.0.0' ? this.host : opts.rtp.address);
    this.allowLoopback = opts.rtp.allowLoopback ?? opts.rtp.address.startsWith('127.');
    this.transactions = new TransactionLayer(transport, { t1: this.t1Ms, t2: 8 * this.t1Ms, t4: 10 * this.t1Ms }, this, logger);
    logger.info({ ports: transport.ports, limit }, 'SIP engine listening');
  }

  /** Calls admitted and not yet ended. */
  activeCalls(): number {
    return this.admission.activeCalls;
  }

  // ---- called by the transaction layer ----

  /**
   * The edge's checks, before a transaction or a 100 Trying exists: a dropped request leaves
   * no state, and a challenge goes out statelessly (never retransmitted). @returns true to go on.
   */
  admit(req: SipRequest, flow: Flow): boolean {
    if (!this.access) return true;
    const dialogKey = incomingDialogKey(req);
    const verdict = this.access.checkRequest(req, flow, dialogKey !== undefined && this.calls.has(dialogKey));
    if (verdict.action === 'accept') return true;
    if (verdict.action === 'respond') this.transport.sendResponse(buildResponse(req, verdict.status, { headers: verdict.headers, toTag: statelessToTag(req) }), flow);
    else this.log.debug({ reason: verdict.reason, method: req.method }, 'request dropped by the edge');
    return false;
  }

  /** A new request: ACK (no `tx`), CANCEL, a request of a known dialog, or an out-of-dialog one (RFC 3261 sections 8.2, 12.2.2). */
  onRequest(req: SipRequest, flow: Flow, tx: ServerTransaction | undefined): void {
    if (req.method === 'ACK') return this.onAck(req);
    if (!tx) return;
    const scheme = parseUri(req.uri).scheme;
    if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') return respond(tx, 416);
    if (req.method === 'CANCEL') return this.onCancel(req, flow, tx);
    const unsupported = getHeaderValues(req, 'require').filter((t) => !SUPPORTED.split(', ').includes(t.toLowerCase()));
    if (unsupported.length) return respond(tx, 420, [{ name: 'Unsupported', value: unsupported.join(', ') }]);
    const key = incomingDialogKey(req);
    if (key !== undefined) return this.onDialogRequest(key, req, tx);
    switch (req.method) {
      case 'INVITE':
        void this.onInvite(req, flow, tx).catch((err) => {
          this.log.error({ err }, 'INVITE handling failed');
          respond(tx, 500);
        });
        return;
      case 'OPTIONS':
        return this.onOptions(tx);
      case 'REGISTER':
      case 'MESSAGE':
      case 'SUBSCRIBE':
      case 'PUBLISH':
      case 'PRACK':
        return respond(tx, 405, [{ name: 'Allow', value: ALLOW }]);
      case 'BYE':
      case 'INFO':
      case 'NOTIFY':
      case 'REFER':
      case 'UPDATE':
        return respond(tx, 481);
      default:
        return respond(tx, 501, [{ name: 'Allow', value: ALLOW }]);
    }
  }

  /** ACK of a 2xx goes to its call; an ACK for an unknown dialog is dropped (RFC 3261 sections 17.2.1, 12.2.2). */
  private onAck(req: SipRequest): void {
    const key = incomingDialogKey(req);
    if (key) this.calls.get(key)?.onAck(req);
  }

  /** CANCEL (RFC 3261 section 9.2): 200, then the INVITE still waiting for admission or ringing ends 487. */
  private onCancel(req: SipRequest, flow: Flow, tx: ServerTransaction): void {
    const invite = this.transactions.findInviteFor(req, flow);
    if (!invite) return respond(tx, 481);
    respond(tx, 200);
    const pending = this.pendingInvites.get(invite.key);
    if (pending) pending.cancelled = true;
    this.callsByInvite.get(invite.key)?.onCancel();
  }

  /** A request of an existing dialog goes to its call; 481 for an unknown dialog, 500 for an out-of-order CSeq. */
  private onDialogRequest(key: string, req: SipRequest, tx: ServerTransaction): void {
    const call = this.calls.get(key);
    if (!call) return respond(tx, 481);
    if (!call.dialog.acceptRemote(req)) return respond(tx, 500);
    call.onRequest(req, tx);
  }

  /** Out-of-dialog OPTIONS: 503 while draining or without headroom, so a dispatcher (Kamailio) stops sending new calls. */
  private onOptions(tx: ServerTransaction): void {
    const refusal = this.admission.headroom();
    if (refusal) return respond(tx, 503, [{ name: 'Retry-After', value: String(refusal.retryAfterS ?? 5) }, ...capabilityHeaders()]);
    respond(tx, 200, capabilityHeaders());
  }

  /**
   * A new INVITE: 100 Trying, the request's own checks (415, 406, 422), admission (486/503),
   * an RTP session (503 when none), then a {@link SipCall}, which negotiates the offer (488)
   * and goes to the runtime ringing.
   */
  async onInvite(req: SipRequest, flow: Flow, tx: ServerTransaction): Promise<void> {
    const receivedAt = performance.now();
    respond(tx, 100);
    this.counters.callsOffered++;
    const problem = inviteProblem(req, this.opts.sessionTimer?.minSeS);
    if (problem) return respond(tx, problem.status, problem.headers);
    // Pending before admission: an async check (fleet-wide limit) may take a while, and a CANCEL meanwhile must count.
    const pending: PendingInvite = { cancelled: false };
    this.pendingInvites.set(tx.key, pending);
    let decision: Admission;
    let session: MediaSession | undefined;
    const policy = this.opts.mediaPolicy?.(parseUri(req.uri).user ?? '') ?? OPEN_MEDIA_POLICY;
    try {
      decision = await this.admission.admit(getHeader(req, 'call-id') ?? '');
      if (decision.admit) session = await this.openMedia(flow, policy, decision);
    } finally {
      this.pendingInvites.delete(tx.key);
    }
    if (!decision.admit) return this.refuse(tx, decision.status, decision.retryAfterS, { cause: decision.cause, ...decision.detail });
    if (!session) return this.refuse(tx, 503, 5);
    if (pending.cancelled) {
      session.close();
      decision.release();
      return respond(tx, 487);
    }
    const dialog = new Dialog(req, flow, this.contactFor(flow), this.host, this.transport.localPort(flow.transport));
    const call = new SipCall(dialog, tx, session, {
      transactions: this.transactions,
      logger: this.log,
      sdpAddress: this.sdpAddress,
      allowLoopback: this.allowLoopback,
      mediaPolicy: policy,
      sessionTimer: this.opts.sessionTimer,
      t1Ms: this.t1Ms,
      onEnded: (c) => this.onCallEnded(c, tx, decision),
      onSetupTime: (ms) => this.recordSetupTime(ms),
    }, receivedAt);
    if (call.offerProblem) {
      call.log.info({ reason: call.offerProblem }, 'unacceptable offer: 488');
      return call.reject(488);
    }
    this.calls.set(dialog.key, call);
    this.callsByInvite.set(tx.key, call);
    call.log.info({ called: redactNumber(call.info.calledUser), codec: call.info.codec }, 'incoming call');
    try {
      this.onCall(call);
    } catch (err) {
      call.log.error({ err }, 'onCall threw: 500');
      call.reject(500);
    }
  }

  // ---- called by the operator (media-core/main.ts) ----

  /**
   * Stops admitting (new INVITEs get 503 with Retry-After), waits for calls to end until
   * the deadline (ms), then gives each remaining call `how.action` (the integration's drain
   * action: transfer or the error outcome), at most `how.actionMs` (default 5000) for all,
   * and only then sends BYE to what is still up (hangup by 'error').
   */
  async drain(deadlineMs = this.opts.drainDeadlineMs ?? 30_000, how: DrainOptions = {}): Promise<void> {
    this.admission.draining = true;
    const until = Date.now() + deadlineMs;
    while (this.calls.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, until - Date.now()))));
    const action = how.action;
    if (this.calls.size && action) {
      // A bare BYE would drop callers on the floor; the drain action hands them to the contact center.
      this.log.info({ remaining: this.calls.size }, 'drain deadline: drain action for each call');
      let timer: NodeJS.Timeout | undefined;
      const budget = new Promise<void>((r) => (timer = setTimeout(r, how.actionMs ?? 5000)));
      const actions = [...this.calls.values()].map((c) => action(c).catch((err: Error) => this.log.warn({ callId: c.info.callId, err: err.message }, 'drain action failed')));
      await Promise.race([Promise.all(actions), budget]);
      clearTimeout(timer);
    }
    if (this.calls.size) this.log.info({ remaining: this.calls.size }, 'drain deadline: ending calls');
    await Promise.all([...this.calls.values()].map((c) => c.shutdown('drain deadline').catch(() => undefined)));
  }

  /** Ends every call and closes sockets and timers. */
  async close(): Promise<void> {
    this.admission.draining = true;
    const ending = [...this.calls.values()].map((c) => c.shutdown('shutdown').catch(() => undefined));
    await Promise.race([Promise.all(ending), new Promise((r) => setTimeout(r, 200))]);
    this.transactions.close();
    this.headroom?.stop();
    await this.transport.close();
    this.carrier.close();
  }

  /** Counters and latencies for benchmarks and metrics. */
  metrics(): UasMetrics {
    return { setupMs: [...this.setupMs], ...this.counters, transport: { ...this.transport.stats } };
  }

  /** The native pacer's drop and error counters (undefined unless rtpIo is 'native'). */
  pacerCounters(): RtpPacerCounters | undefined {
    return this.carrier.counters();
  }

  /** Pacing figures (RtpCarrier.pacingStats). */
  async pacingStats(): Promise<PacingStats[]> {
    return this.carrier.pacingStats();
  }

  /** Clears those histograms (e.g. once the load reached its steady state). */
  resetPacingStats(): void {
    this.carrier.resetPacingStats();
  }

  // ---- internals ----

  /** An RTP session latched to the signalling source; undefined (and the admission given back) when none can be opened. */
  private async openMedia(flow: Flow, policy: MediaPolicy, admitted: Admitted): Promise<MediaSession | undefined> {
    try {
      return await this.carrier.open({
        codec: 'PCMU',
        payloadType: 0,
        rtpTimeoutMs: this.opts.rtp.rtpTimeoutMs,
        latch: { signallingAddress: flow.address, trustedCidrs: policy.trustedCidrs, learningWindowMs: this.opts.rtp.learningWindowMs },
      });
    } catch (err) {
      admitted.release();
      if (err instanceof PortPoolExhaustedError) this.log.warn('RTP ports exhausted: 503');
      else this.log.error({ err }, 'RTP session failed: 503');
      return undefined;
    }
  }

  /** Answers a refused INVITE (486 service full, 503 with Retry-After: try another instance) and counts it. */
  private refuse(tx: ServerTransaction, status: number, retryAfterS: number | undefined, detail?: Record<string, unknown>): void {
    if (status === 486) this.counters.callsRejectedBusy++;
    else this.counters.callsRejectedUnavailable++;
    if (detail) this.log.info({ status, ...detail, active: this.admission.activeCalls, limit: this.admission.limit }, 'call refused by admission');
    respond(tx, status, retryAfterS ? [{ name: 'Retry-After', value: String(retryAfterS) }] : []);
  }

  private onCallEnded(call: SipCall, tx: ServerTransaction, admitted: Admitted): void {
    this.calls.delete(call.dialog.key);
    this.callsByInvite.delete(tx.key);
    admitted.release();
  }

  private recordSetupTime(ms: number): void {
    if (this.setupMs.length >= 100_000) this.setupMs.shift();
    this.setupMs.push(ms);
  }

  private contactFor(flow: Flow): string {
    const port = this.transport.ports[flow.transport] ?? this.transport.ports.udp;
    return `sip:media@${this.host}:${port}${flow.transport === 'udp' ? '' : `;transport=${flow.transport}`}`;
  }
}

function respond(tx: ServerTransaction, status: number, headers: SipHeader[] = []): void {
  tx.respond(buildResponse(tx.request, status, { headers }));
}

/**
 * What a new INVITE asks that we cannot give, before admission: a body that is not SDP (415),
 * an Accept without SDP (406), a Session-Expires under our Min-SE (422, RFC 4028 section 6).
 */
function inviteProblem(req: SipRequest, minSeS: number | undefined): { status: number; headers: SipHeader[] } | undefined {
  const type = getHeader(req, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (req.body.length && type !== 'application/sdp') return { status: 415, headers: [{ name: 'Accept', value: 'application/sdp' }] };
  const accept = getHeaderValues(req, 'accept').map((a) => a.split(';')[0]!.trim().toLowerCase());
  if (accept.length && !accept.some((a) => a === 'application/sdp' || a === 'application/*' || a === '*/*')) return { status: 406, headers: [{ name: 'Accept', value: 'application/sdp' }] };
  const timer = negotiateSessionTimer(req, minSeS);
  if (timer && 'tooSmall' in timer) return { status: 422, headers: [{ name: 'Min-SE', value: String(timer.tooSmall) }] };
  return undefined;
}
