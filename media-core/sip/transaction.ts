/**
 * SIP transactions (RFC 3261 section 17, RFC 6026 for the INVITE server "Accepted" state):
 * INVITE and non-INVITE server transactions and the non-INVITE client transaction, with
 * timers E, F, G, H, I, J, K from T1/T2/T4. Retransmitted requests are absorbed here and
 * answered with the last response; they never reach the user agent core twice.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { getHeader, type SipRequest, type SipResponse } from './message.ts';
import { param, parseCSeq, parseNameAddr, parseVia } from './header-values.ts';
import type { Flow, SipTransport } from './transport.ts';
import { buildResponse } from './serialize.ts';

/** RFC 3261 timer values in ms (section 17.1.1.1 and table 4). */
export interface TimerValues {
  /** RTT estimate, default 500. */
  t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4000. */
  t2: number;
  /** Maximum duration a message stays in the network, default 5000. */
  t4: number;
}

export const DEFAULT_TIMERS: TimerValues = { t1: 500, t2: 4000, t4: 5000 };

/** RFC 3261 magic cookie: branches starting with it identify transactions (section 8.1.1.7). */
export const MAGIC_COOKIE = 'z9hG4bK';

/** A fresh RFC 3261 branch parameter. */
export const newBranch = () => MAGIC_COOKIE + randomBytes(10).toString('hex');

/**
 * Server transaction key (RFC 3261 section 17.2.3): branch + sent-by + method (ACK folds
 * into INVITE); for RFC 2543 requests without the magic cookie, Call-ID + CSeq number +
 * From tag + top Via; prefixed by the source flow.
 */
export function serverKey(req: SipRequest, flow: Flow, methodOverride?: string): string {
  // The source is part of the key too: two peers reusing a branch and sent-by (private
  // addresses behind NAT, or replayed test messages) must not share a transaction.
  return `${flow.transport}|${flow.address}|${flow.port}|${rfcKey(req, methodOverride)}`;
}

function rfcKey(req: SipRequest, methodOverride?: string): string {
  const topVia = getHeader(req, 'via')!;
  const via = parseVia(topVia.split(',')[0]!);
  const method = methodOverride ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  if (via.branch && via.branch.startsWith(MAGIC_COOKIE) && via.branch.length > MAGIC_COOKIE.length)
    return `${via.branch}|${via.host}:${via.port ?? ''}|${method}`;
  const fromTag = param(parseNameAddr(getHeader(req, 'from')!).params, 'tag') ?? '';
  const cseq = parseCSeq(getHeader(req, 'cseq')!).seq;
  return `2543|${getHeader(req, 'call-id')}|${cseq}|${fromTag}|${via.host}:${via.port ?? ''}|${via.branch ?? ''}|${method}`;
}

type ServerState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

/** A server transaction: INVITE (section 17.2.1 with RFC 6026) or non-INVITE (section 17.2.2). */
/** A transaction's running timers (A-K): all cleared together when its state moves on. */
class TransactionTimers {
  private handles: NodeJS.Timeout[] = [];

  /** Runs `fn` after `ms`; the timer does not keep the process alive. */
  after(ms: number, fn: () => void): void {
    const t = setTimeout(fn, ms);
    t.unref?.();
    this.handles.push(t);
  }

  clear(): void {
    for (const t of this.handles) clearTimeout(t);
    this.handles = [];
  }
}

export class ServerTransaction extends EventEmitter {
  state: ServerState;
  lastResponse?: SipResponse;
  /**
   * The request, for the core while it decides. Once a final non-2xx response (or any final
   * response to a non-INVITE) is sent, only its method is kept: matching uses the key and
   * retransmission the last response, so the table holds no request body or headers.
   */
  request: SipRequest;
  private readonly timers = new TransactionTimers();
  readonly isInvite: boolean;

  constructor(
    readonly key: string,
    request: SipRequest,
    readonly flow: Flow,
    private readonly layer: TransactionLayer,
  ) {
    super();
    this.request = request;
    this.isInvite = request.method === 'INVITE';
    this.state = this.isInvite ? 'proceeding' : 'trying';
  }

  private get reliable(): boolean {
    return this.flow.transport !== 'udp';
  }

  /** Sends a response on this transaction and moves the state machine. Ignored once final (except 2xx retransmits by the core). */
  respond(res: SipResponse): void {
    if (this.state === 'terminated' || this.state === 'completed' || this.state === 'confirmed') return;
    if (this.state === 'accepted') {
      // RFC 6026 section 7.1: the core retransmits its 2xx through the Accepted transaction.
      if (res.status >= 200 && res.status < 300) this.layer.transport.sendResponse(res, this.flow);
      return;
    }
    this.lastResponse = res;
    this.layer.transport.sendResponse(res, this.flow);
    if (res.status < 200) {
      if (this.state === 'trying') this.state = 'proceeding';
      return;
    }
    const { t1, t2, t4 } = this.layer.timers;
    if (!this.isInvite || res.status >= 300) {
      this.request = { kind: 'request', method: this.request.method, uri: '', headers: [], body: EMPTY };
      // The response is kept for retransmission: its body (if any) is not needed for a final non-2xx.
    }
    if (this.isInvite && res.status < 300) {
      this.state = 'accepted';
      this.timers.after(64 * t1, () => this.terminate());
    } else if (this.isInvite) {
      this.state = 'completed';
      if (!this.reliable) {
        let interval = t1;
        const g = () => {
          if (this.state !== 'completed') return;
          this.layer.transport.sendResponse(res, this.flow);
          interval = Math.min(2 * interval, t2);
          this.timers.after(interval, g);
        };
        this.timers.after(interval, g); // timer G
      }
      this.timers.after(64 * t1, () => {
        // Timer H: the ACK never came.
        if (this.state === 'completed') this.emit('ack-timeout');
        this.terminate();
      });
    } else {
      this.state = 'completed';
      this.timers.after(this.reliable ? 0 : 64 * t1, () => this.terminate()); // timer J
    }
    void t4;
  }

  /** A retransmission of the request arrived: answer with the last response (sections 17.2.1, 17.2.2). */
  onRetransmission(): void {
    if (this.lastResponse && this.state !== 'terminated' && this.state !== 'confirmed') this.layer.transport.sendResponse(this.lastResponse, this.flow);
  }

  /** ACK for a non-2xx final response (section 17.2.1): Confirmed, then timer I. */
  onAck(): void {
    if (this.state !== 'completed') return;
    this.state = 'confirmed';
    this.timers.clear();
    this.timers.after(this.reliable ? 0 : this.layer.timers.t4, () => this.terminate());
  }


  /** Ends the transaction and forgets it. */
  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timers.clear();
    this.layer.forgetServer(this);
    this.emit('terminated');
  }
}

/** Result of a non-INVITE client transaction: the final response, or a timeout / transport error (reported as 408 / 503, section 8.1.3.1). */
export type ClientOutcome = { response: SipResponse } | { timeout: true } | { transportError: true };

/** Non-INVITE client transaction (RFC 3261 section 17.1.2): timers E, F, K. */
export class ClientTransaction {
  state: 'trying' | 'proceeding' | 'completed' | 'terminated' = 'trying';
  private readonly timers = new TransactionTimers();
  private resolveOutcome!: (o: ClientOutcome) => void;
  /** Resolves once with the final response or the failure. */
  readonly outcome: Promise<ClientOutcome>;
  /** Called with each provisional response. */
  onProvisional?: (res: SipResponse) => void;

  constructor(
    readonly key: string,
    readonly request: SipRequest,
    readonly flow: Flow,
    private readonly layer: TransactionLayer,
  ) {
    this.outcome = new Promise((r) => (this.resolveOutcome = r));
  }

  /** Sends the request and arms timers E (UDP only) and F. */
  start(): void {
    const { t1, t2 } = this.layer.timers;
    if (!this.layer.transport.send(this.request, this.flow)) {
      this.finish({ transportError: true });
      return;
    }
    if (this.flow.transport === 'udp') {
      let interval = t1;
      const e = () => {
        if (this.state !== 'trying' && this.state !== 'proceeding') return;
        this.layer.transport.send(this.request, this.flow);
        interval = this.state === 'proceeding' ? t2 : Math.min(2 * interval, t2);
        this.timers.after(interval, e);
      };
      this.timers.after(interval, e);
    }
    this.timers.after(64 * t1, () => {
      if (this.state === 'trying' || this.state === 'proceeding') this.finish({ timeout: true }); // timer F
    });
  }

  /** A response matched this transaction. */
  onResponse(res: SipResponse): void {
    if (this.state === 'completed' || this.state === 'terminated') return;
    if (res.status < 200) {
      this.state = 'proceeding';
      this.onProvisional?.(res);
      return;
    }
    this.state = 'completed';
    this.timers.clear();
    this.resolveOutcome({ response: res });
    this.timers.after(this.flow.transport === 'udp' ? this.layer.timers.t4 : 0, () => this.terminate()); // timer K
  }

  private finish(o: ClientOutcome): void {
    this.resolveOutcome(o);
    this.terminate();
  }


  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timers.clear();
    this.layer.forgetClient(this);
  }
}

const EMPTY = Buffer.alloc(0);

/** What the transaction layer hands to the user agent core. */
export interface TransactionUser {
  /** A new request (not a retransmission). `tx` is undefined for ACK, which has no server transaction of its own. */
  onRequest(req: SipRequest, flow: Flow, tx: ServerTransaction | undefined): void;
  /**
   * Called for a new request other than ACK before any transaction exists: false means the
   * core already dealt with it statelessly (dropped it, or answered with no state), so no
   * transaction is created and nothing is retransmitted.
   */
  admit?(req: SipRequest, flow: Flow): boolean;
}

/** Most server transactions at once (default 20000): beyond, new requests get a stateless 503. */
export const DEFAULT_MAX_SERVER_TRANSACTIONS = 20_000;

/** Matches messages to transactions and owns their tables. */
export class TransactionLayer {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();

  constructor(
    readonly transport: SipTransport,
    readonly timers: TimerValues,
    private readonly tu: TransactionUser,
    private readonly logger?: Logger,
    private readonly maxServerTransactions = DEFAULT_MAX_SERVER_TRANSACTIONS,
  ) {
    transport.on('message', (msg, flow: Flow) => {
      try {
        if (msg.kind === 'request') this.onRequest(msg, flow);
        else this.onResponse(msg);
      } catch (err) {
        // One bad message or a core bug must not disturb the other calls.
        this.logger?.error({ err }, 'error handling SIP message');
      }
    });
  }

  /** Live server transactions (for tests and metrics). */
  get serverCount(): number {
    return this.servers.size;
  }

  private onRequest(req: SipRequest, flow: Flow): void {
    const key = serverKey(req, flow);
    const existing = this.servers.get(key);
    if (req.method === 'ACK') {
      if (existing && existing.state === 'completed') {
        existing.onAck();
        return;
      }
      if (existing && existing.state === 'confirmed') return;
      this.tu.onRequest(req, flow, undefined);
      return;
    }
    if (existing) {
      existing.onRetransmission();
      return;
    }
    if (this.tu.admit && !this.tu.admit(req, flow)) return;
    if (this.servers.size >= this.maxServerTransactions) {
      this.logger?.warn({ limit: this.maxServerTransactions }, 'server transaction table full: stateless 503');
      this.transport.sendResponse(buildResponse(req, 503, { headers: [{ name: 'Retry-After', value: '5' }], toTag: newBranch().slice(MAGIC_COOKIE.length, MAGIC_COOKIE.length + 12) }), flow);
      return;
    }
    const tx = new ServerTransaction(key, req, flow, this);
    this.servers.set(key, tx);
    this.tu.onRequest(req, flow, tx);
  }

  private onResponse(res: SipResponse): void {
    const top = getHeader(res, 'via');
    const cseq = getHeader(res, 'cseq');
    if (!top || !cseq) return;
    const via = parseVia(top.split(',')[0]!);
    const key = `${via.branch}|${parseCSeq(cseq).method}`;
    const tx = this.clients.get(key);
    if (!tx) return; // stray response (RFC 3261 section 18.1.2): dropped
    tx.onResponse(res);
  }

  /** The INVITE server transaction a CANCEL refers to (section 9.2), if still known. */
  findInviteFor(cancel: SipRequest, flow: Flow): ServerTransaction | undefined {
    return this.servers.get(serverKey(cancel, flow, 'INVITE'));
  }

  /** Starts a non-INVITE client transaction for `req` (its top Via must carry a fresh branch). */
  sendRequest(req: SipRequest, flow: Flow): ClientTransaction {
    const via = parseVia(getHeader(req, 'via')!);
    const key = `${via.branch}|${req.method}`;
    const tx = new ClientTransaction(key, req, flow, this);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  forgetServer(tx: ServerTransaction): void {
    if (this.servers.get(tx.key) === tx) this.servers.delete(tx.key);
  }

  forgetClient(tx: ClientTransaction): void {
    if (this.clients.get(tx.key) === tx) this.clients.delete(tx.key);
  }

  /** Stops every timer (engine shutdown). */
  close(): void {
    for (const tx of [...this.servers.values()]) tx.terminate();
    for (const tx of [...this.clients.values()]) tx.terminate();
  }
}
