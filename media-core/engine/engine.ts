/**
 * The media core's SIP user agent (UAS) for inbound calls: transports, transactions,
 * dialogs and one {@link SipCall} per admitted INVITE, handed to the runtime's `onCall`
 * while ringing. Out-of-dialog OPTIONS are answered 200 (trunk and load balancer health
 * checks; 503 while draining), unknown methods 501, in-dialog requests of unknown dialogs 481 (RFC 3261
 * sections 8.2, 12.2.2), CANCEL as in section 9.2.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { createLogger } from '../../lib/log.ts';
import { redactNumber } from '../../lib/redact.ts';
import type { Call, CallInfo } from '../call/types.ts';
import { getHeader, getHeaderValues, type SipRequest } from '../sip/message.ts';
import { buildResponse } from '../sip/serialize.ts';
import { parseNameAddr } from '../sip/header-values.ts';
import { parseUri } from '../sip/uri.ts';
import { SipTransport, type Flow } from '../sip/transport.ts';
import { DEFAULT_TIMERS, TransactionLayer, type ServerTransaction } from '../sip/transaction.ts';
import { Dialog, incomingDialogKey } from '../sip/dialog.ts';
import { PortPoolExhaustedError } from '../media/port-pool.ts';
import type { Scheduler } from '../media/scheduler.ts';
import { openCarrier, type PacingStats } from '../media/carrier.ts';
import type { RtpPacerCounters } from '../media/native/rtp-pacer.ts';
import type { MediaSession } from '../media/media-session.ts';
import { OPEN_MEDIA_POLICY, srtpRefusal, type MediaPolicy } from '../media/media-policy.ts';
import { isRejection, negotiateAnswer } from '../media/sdp.ts';
import { AdmissionControl, callLimit, type AdmissionCheck, type Plan } from './admission.ts';
import { headroomChecks, type Headroom, type HeadroomOptions } from './headroom-checks.ts';
import { callsAdmitted, callsRefused } from '../observability/call-metrics.ts';
import type { FleetLimit } from './fleet-limit.ts';
import { ALLOW, capabilityHeaders, SipCall, SUPPORTED } from './call.ts';
import { SipAccessPolicy, statelessToTag, type SipAccessOptions } from '../edge/access-policy.ts';
import { sipDroppedTotal } from '../edge/edge-metrics.ts';
import { negotiateSessionTimer } from './session-timer.ts';

/** Configuration of {@link startEngine}. Ports 0 pick free ports (tests). */
export interface EngineOptions {
  sip: {
    /** Address to bind, e.g. "127.0.0.1" in tests, "0.0.0.0" in the container. */
    address: string;
    /** UDP port (5060 in production); undefined disables UDP. */
    udpPort?: number;
    /** TCP port (5060); undefined disables TCP. */
    tcpPort?: number;
    /** TLS listener (5061) with PEM certificate and key files; `clientCaFile` requires client certificates signed by that CA (mTLS). */
    tls?: { port: number; certFile: string; keyFile: string; clientCaFile?: string };
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
   * @throws (startEngine) Error when 'native' is asked for and the addon is not available.
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
   * Admission by headroom (./headroom-checks.ts thresholds) and more checks after it (e.g. a
   * fleet-wide limit). Absent: the plan's count only, as in tests that must not depend on load.
   */
  admission?: HeadroomOptions & { checks?: AdmissionCheck[] };
  /** Default drain deadline, ms (default 30000). */
  drainDeadlineMs?: number;
  /**
   * The fleet-wide limit (./fleet-limit.ts), checked after the local admission: a refusal
   * answers its status (486 fleet full, 503 table unreachable and the local share full).
   */
  fleetLimit?: Pick<FleetLimit, 'tryAcquire' | 'release'>;
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

/** A running engine. */
export interface Engine {
  /** Bound ports per transport (undefined when disabled). */
  readonly ports: { udp?: number; tcp?: number; tls?: number };
  /** Calls admitted and not yet ended. */
  activeCalls(): number;
  /** The admission in force: `addCheck` appends a check (e.g. a fleet-wide limit); `draining`. */
  readonly admission: AdmissionControl;
  /** The headroom monitors (event-loop delay, pacer lateness), when admission by headroom is on. */
  readonly headroom: Headroom | undefined;
  /**
   * Stops admitting (new INVITEs get 503 with Retry-After), waits for calls to end until
   * the deadline (ms), then gives each remaining call `how.action` (the integration's drain
   * action: transfer or the error outcome), at most `how.actionMs` (default 5000) for all,
   * and only then sends BYE to what is still up (hangup by 'error').
   */
  drain(deadlineMs?: number, how?: DrainOptions): Promise<void>;
  /** Ends every call and closes sockets and timers. */
  close(): Promise<void>;
  /** Counters and latencies for benchmarks and metrics. */
  metrics(): EngineMetrics;
  /** The 20 ms pacing scheduler of every call. */
  readonly scheduler: Scheduler;
  /** What carries RTP: the native pacer, or node:dgram on the main thread. */
  readonly rtpIo: 'native' | 'dgram';
  /** The native pacer's drop and error counters (undefined unless rtpIo is 'native'). */
  pacerCounters(): RtpPacerCounters | undefined;
  /** Pacing figures (RtpCarrier.pacingStats). */
  pacingStats(): Promise<PacingStats[]>;
  /** Clears those histograms (e.g. once the load reached its steady state). */
  resetPacingStats(): void;
}

export type { PacingStats };

/** Engine counters. `setupMs` are the most recent INVITE-received-to-200-sent latencies (up to 100000). */
export interface EngineMetrics {
  setupMs: number[];
  callsOffered: number;
  callsRejectedBusy: number;
  callsRejectedUnavailable: number;
  /** Transport counters; refusedSource, refusedConnections, headerTimeouts and idleClosed are the edge's drops. */
  transport: { received: number; malformed: number; dropped: number; sent: number; refusedSource: number; refusedConnections: number; headerTimeouts: number; idleClosed: number };
}

/**
 * Starts the SIP engine and calls `onCall` with each admitted, ringing call; the runtime
 * answers or rejects it.
 * @throws when a listener cannot bind or the TLS files cannot be read; RangeError on a bad plan or port range.
 */
export async function startEngine(opts: EngineOptions, onCall: (call: Call) => void): Promise<Engine> {
  const logger = opts.logger ?? createLogger('media-core');
  const t1 = opts.t1Ms ?? DEFAULT_TIMERS.t1;
  const timers = { t1, t2: 8 * t1, t4: 10 * t1 };
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
  const headroom = opts.admission ? headroomChecks(opts.admission, carrier.latenessSnapshot) : undefined;
  const admission = new AdmissionControl(limit, {
    checks: [...(headroom?.checks ?? []), ...(opts.admission?.checks ?? [])],
    onDecision: (d) => {
      if (!d.admitted) return callsRefused.inc({ cause: d.cause, status: d.refusal?.status });
      callsAdmitted.inc();
      headroom?.demand.noteAdmitted();
    },
  });
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
    headroom?.stop();
    carrier.close();
    throw err;
  }
  const host = opts.sip.publicHost ?? opts.sip.address;
  const sdpAddress = opts.rtp.publicAddress ?? (opts.rtp.address === '0.0.0.0' ? host : opts.rtp.address);
  const allowLoopback = opts.rtp.allowLoopback ?? opts.rtp.address.startsWith('127.');
  const calls = new Map<string, SipCall>(); // by dialog key
  const callsByInvite = new Map<string, SipCall>(); // by INVITE server transaction key
  const pendingInvites = new Map<string, { cancelled: boolean }>();
  const setupMs: number[] = [];
  const counters = { callsOffered: 0, callsRejectedBusy: 0, callsRejectedUnavailable: 0 };
  let transactions: TransactionLayer;

  const contactFor = (flow: Flow) => {
    const port = transport.ports[flow.transport] ?? transport.ports.udp;
    return `sip:media@${host}:${port}${flow.transport === 'udp' ? '' : `;transport=${flow.transport}`}`;
  };

  const onInvite = async (req: SipRequest, flow: Flow, tx: ServerTransaction) => {
    const t0 = performance.now();
    const reply = (status: number, headers = [] as { name: string; value: string }[]) => tx.respond(buildResponse(req, status, { headers }));
    tx.respond(buildResponse(req, 100, {}));
    counters.callsOffered++;
    const type = getHeader(req, 'content-type')?.split(';')[0]?.trim().toLowerCase();
    if (req.body.length && type !== 'application/sdp') return reply(415, [{ name: 'Accept', value: 'application/sdp' }]);
    const accept = getHeaderValues(req, 'accept').map((a) => a.split(';')[0]!.trim().toLowerCase());
    if (accept.length && !accept.some((a) => a === 'application/sdp' || a === 'application/*' || a === '*/*'))
      return reply(406, [{ name: 'Accept', value: 'application/sdp' }]);
    const timer = negotiateSessionTimer(req, opts.sessionTimer?.minSeS);
    if (timer && 'tooSmall' in timer) return reply(422, [{ name: 'Min-SE', value: String(timer.tooSmall) }]);
    // Pending before admission: an async check (fleet-wide limit) may take a while, and a CANCEL meanwhile must count.
    const pending = { cancelled: false };
    pendingInvites.set(tx.key, pending);
    const decision = await admission.admit();
    if (!decision.admit) {
      pendingInvites.delete(tx.key);
      if (decision.status === 486) counters.callsRejectedBusy++;
      else counters.callsRejectedUnavailable++;
      logger.info({ status: decision.status, cause: decision.cause, ...decision.detail, active: admission.activeCalls, limit: admission.limit }, 'call refused by admission');
      return reply(decision.status, decision.retryAfterS ? [{ name: 'Retry-After', value: String(decision.retryAfterS) }] : []);
    }
    const callId = getHeader(req, 'call-id') ?? '';
    const fleetLimit = opts.fleetLimit;
    if (fleetLimit) {
      const fleet = await fleetLimit.tryAcquire(callId);
      if ('refuse' in fleet) {
        pendingInvites.delete(tx.key);
        decision.release();
        if (fleet.refuse === 486) counters.callsRejectedBusy++;
        else counters.callsRejectedUnavailable++;
        logger.info({ status: fleet.refuse, reason: fleet.reason }, 'call refused by the fleet limit');
        return reply(fleet.refuse, fleet.refuse === 503 ? [{ name: 'Retry-After', value: '5' }] : []);
      }
    }
    const releaseSlot = () => {
      decision.release();
      void fleetLimit?.release(callId);
    };
    const policy = opts.mediaPolicy?.(parseUri(req.uri).user ?? '') ?? OPEN_MEDIA_POLICY;
    let session: MediaSession;
    try {
      session = await carrier.open({
        codec: 'PCMU',
        payloadType: 0,
        rtpTimeoutMs: opts.rtp.rtpTimeoutMs,
        latch: { signallingAddress: flow.address, trustedCidrs: policy.trustedCidrs, learningWindowMs: opts.rtp.learningWindowMs },
      });
    } catch (err) {
      pendingInvites.delete(tx.key);
      releaseSlot();
      counters.callsRejectedUnavailable++;
      if (err instanceof PortPoolExhaustedError) logger.warn('RTP ports exhausted: 503');
      else logger.error({ err }, 'RTP session failed: 503');
      return reply(503, [{ name: 'Retry-After', value: '5' }]);
    }
    pendingInvites.delete(tx.key);
    const abandon = (status?: number) => {
      session.close();
      releaseSlot();
      if (status) reply(status);
    };
    if (pending.cancelled) return abandon(487);
    const negotiation = req.body.length ? negotiateAnswer(req.body.toString('utf8'), { address: sdpAddress, port: session.localPort, allowLoopback }) : undefined;
    if (negotiation && isRejection(negotiation)) {
      logger.info({ reason: negotiation.reason }, 'no acceptable media: 488');
      return abandon(488);
    }
    const refusal = srtpRefusal(policy, negotiation ? negotiation.srtp !== undefined : undefined, flow.transport);
    if (refusal) {
      logger.info({ reason: refusal }, 'media policy: 488');
      return abandon(488);
    }
    if (negotiation) session.updateCodec({ codec: negotiation.codec, payloadType: negotiation.payloadType, telephoneEventPt: negotiation.telephoneEventPt, srtp: negotiation.srtp });
    const dialog = new Dialog(req, flow, contactFor(flow), host, transport.localPort(flow.transport));
    const info = callInfo(req, flow, negotiation);
    const callLog = logger.child({ callId: info.callId, caller: redactNumber(info.callerUser), transport: info.transport });
    const call = new SipCall(info, dialog, tx, session, negotiation, {
      transactions,
      logger: callLog,
      sdpAddress,
      allowLoopback,
      mediaPolicy: policy,
      sessionTimer: opts.sessionTimer,
      t1Ms: t1,
      onEnded: (c) => {
        calls.delete(c.dialog.key);
        callsByInvite.delete(tx.key);
        releaseSlot();
      },
      onSetupTime: (ms) => {
        if (setupMs.length >= 100_000) setupMs.shift();
        setupMs.push(ms);
      },
    }, t0);
    calls.set(dialog.key, call);
    callsByInvite.set(tx.key, call);
    callLog.info({ called: redactNumber(info.calledUser), codec: info.codec }, 'incoming call');
    try {
      onCall(call);
    } catch (err) {
      callLog.error({ err }, 'onCall threw: 500');
      call.reject(500);
    }
  };

  const onRequest = (req: SipRequest, flow: Flow, tx: ServerTransaction | undefined) => {
    if (req.method === 'ACK') {
      const key = incomingDialogKey(req);
      if (key) calls.get(key)?.onAck(req);
      return; // ACK for an unknown dialog: dropped (RFC 3261 section 17.2.1 / 12.2.2)
    }
    if (!tx) return;
    const reply = (status: number, headers = [] as { name: string; value: string }[]) => tx.respond(buildResponse(req, status, { headers }));
    const scheme = parseUri(req.uri).scheme;
    if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') return reply(416);
    if (req.method === 'CANCEL') {
      const invite = transactions.findInviteFor(req, flow);
      if (!invite) return reply(481);
      reply(200);
      const pending = pendingInvites.get(invite.key);
      if (pending) pending.cancelled = true;
      callsByInvite.get(invite.key)?.onCancel();
      return;
    }
    const unsupported = getHeaderValues(req, 'require').filter((t) => !SUPPORTED.split(', ').includes(t.toLowerCase()));
    if (unsupported.length) return reply(420, [{ name: 'Unsupported', value: unsupported.join(', ') }]);
    const key = incomingDialogKey(req);
    if (key !== undefined) {
      const call = calls.get(key);
      if (!call) return reply(481);
      if (!call.dialog.acceptRemote(req)) return reply(500);
      call.onRequest(req, tx);
      return;
    }
    switch (req.method) {
      case 'INVITE':
        void onInvite(req, flow, tx).catch((err) => {
          logger.error({ err }, 'INVITE handling failed');
          reply(500);
        });
        return;
      case 'OPTIONS': {
        // 503 while draining or without headroom, so a dispatcher (Kamailio) stops sending new calls.
        const refusal = admission.headroom();
        if (refusal) return reply(503, [{ name: 'Retry-After', value: String(refusal.retryAfterS ?? 5) }, ...capabilityHeaders()]);
        return reply(200, capabilityHeaders());
      }
      case 'REGISTER':
      case 'MESSAGE':
      case 'SUBSCRIBE':
      case 'PUBLISH':
      case 'PRACK':
        return reply(405, [{ name: 'Allow', value: ALLOW }]);
      case 'BYE':
      case 'INFO':
      case 'NOTIFY':
      case 'REFER':
      case 'UPDATE':
        return reply(481);
      default:
        return reply(501, [{ name: 'Allow', value: ALLOW }]);
    }
  };

  // The edge's checks run here, before a transaction or a 100 Trying exists: a dropped request
  // leaves no state, and a challenge goes out statelessly (never retransmitted).
  const admit = (req: SipRequest, flow: Flow): boolean => {
    if (!access) return true;
    const dialogKey = incomingDialogKey(req);
    const verdict = access.checkRequest(req, flow, dialogKey !== undefined && calls.has(dialogKey));
    if (verdict.action === 'accept') return true;
    if (verdict.action === 'respond') transport.sendResponse(buildResponse(req, verdict.status, { headers: verdict.headers, toTag: statelessToTag(req) }), flow);
    else logger.debug({ reason: verdict.reason, method: req.method }, 'request dropped by the edge');
    return false;
  };
  transactions = new TransactionLayer(transport, timers, { onRequest, admit }, logger);
  logger.info({ ports: transport.ports, limit: admission.limit }, 'SIP engine listening');

  const drain = async (deadlineMs = opts.drainDeadlineMs ?? 30_000, how: DrainOptions = {}) => {
    admission.draining = true;
    const until = Date.now() + deadlineMs;
    while (calls.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, until - Date.now()))));
    if (calls.size && how.action) {
      // A bare BYE would drop callers on the floor; the drain action hands them to the contact center.
      logger.info({ remaining: calls.size }, 'drain deadline: drain action for each call');
      let timer: NodeJS.Timeout | undefined;
      const budget = new Promise<void>((r) => (timer = setTimeout(r, how.actionMs ?? 5000)));
      const actions = [...calls.values()].map((c) => how.action!(c).catch((err: Error) => logger.warn({ callId: c.info.callId, err: err.message }, 'drain action failed')));
      await Promise.race([Promise.all(actions), budget]);
      clearTimeout(timer);
    }
    if (calls.size) logger.info({ remaining: calls.size }, 'drain deadline: ending calls');
    await Promise.all([...calls.values()].map((c) => c.shutdown('drain deadline').catch(() => undefined)));
  };

  return {
    ports: transport.ports,
    scheduler: carrier.scheduler,
    rtpIo: carrier.kind,
    pacerCounters: () => carrier.counters(),
    activeCalls: () => admission.activeCalls,
    admission,
    headroom,
    drain,
    metrics: () => ({ setupMs: [...setupMs], ...counters, transport: { ...transport.stats } }),
    pacingStats: async () => carrier.pacingStats(),
    resetPacingStats: () => carrier.resetPacingStats(),
    async close() {
      admission.draining = true;
      const ending = [...calls.values()].map((c) => c.shutdown('shutdown').catch(() => undefined));
      await Promise.race([Promise.all(ending), new Promise((r) => setTimeout(r, 200))]);
      transactions.close();
      headroom?.stop();
      await transport.close();
      carrier.close();
    },
  };
}

/** CallInfo from the initial INVITE (media-core/call/types.ts). */
function callInfo(req: SipRequest, flow: Flow, n: ReturnType<typeof negotiateAnswer> | undefined): CallInfo {
  const from = parseNameAddr(getHeader(req, 'from')!);
  const to = parseNameAddr(getHeader(req, 'to')!);
  const ruri = parseUri(req.uri);
  const neg = n && !isRejection(n) ? n : undefined;
  return {
    callId: getHeader(req, 'call-id')!,
    requestUri: req.uri,
    fromUri: from.uriText,
    toUri: to.uriText,
    calledUser: ruri.user ?? '',
    callerUser: from.uri.user ?? '',
    callerDisplayName: from.displayName,
    inviteHeaders: req.headers.map((h) => ({ ...h })),
    transport: flow.transport,
    remote: { address: flow.address, port: flow.port },
    codec: neg?.codec ?? 'PCMU',
    telephoneEvent: neg?.telephoneEventPt !== undefined,
    srtp: !!neg?.srtp,
  };
}
