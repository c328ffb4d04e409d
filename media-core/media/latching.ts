/**
 * Strict RTP source learning ("latching"), the defence against RTP hijack by port-range
 * spraying: Asterisk "RTP bleed", AST-2017-005 and AST-2017-008
 * (https://downloads.asterisk.org/pub/security/AST-2017-005.html,
 * https://downloads.asterisk.org/pub/security/AST-2017-008.html), fixed there by `strictrtp`
 * learning with a probation run of sequence numbers.
 *
 * Rules:
 * - Media is sent to the SDP's address and port, and accepted from exactly there.
 * - Another source is learned (media accepted from it and sent to it: symmetric RTP, RFC
 *   4961, for peers behind NAT) only when its IP is the SDP's, the signalling source's, or
 *   inside a CIDR the integration trusts for media; only within the learning window that
 *   each SDP (answer, re-INVITE) opens (kept open while no media at all has been accepted
 *   since that SDP, so a caller silent at first, e.g. during our greeting, is still learned;
 *   the IP rule still holds then); and only after a run of packets with consecutive
 *   sequence numbers (RFC 3550 appendix A.1 probation), or one packet that passed SRTP
 *   authentication (RFC 3711 section 3.4: only a holder of the key can make it).
 * - Packets from anyone else are dropped, so a stranger neither hears nor injects audio.
 * The SSRC is not pinned: a peer may change it (re-INVITE, media server switch) from the
 * source it already has; a new source follows the rules above.
 */
import { BlockList, isIPv4 } from 'node:net';

/** What an integration allows (config: integrations[].media, plus the call's signalling source). */
export interface LatchOptions {
  /** The signalling source's IP (the INVITE's sender), whose media may be learned. */
  signallingAddress?: string;
  /** IPv4 CIDRs ("203.0.113.0/24") whose media may be learned, e.g. a carrier's media ranges. */
  trustedCidrs?: readonly string[];
  /** Consecutive sequence numbers that teach a new source (default 4, as Asterisk's probation). */
  probationPackets?: number;
  /** How long after each SDP (answer, re-INVITE) a new source may be learned once media flows, ms (default 10000). */
  learningWindowMs?: number;
}

/** Result of {@link SourceLatch.check}. */
export enum LatchVerdict {
  /** From the call's source: accept. */
  Accept = 0,
  /** A new source just learned: accept, and send to it from now on. */
  Learned = 1,
  /** From a source not (yet) the call's: drop. */
  Drop = 2,
}

/**
 * Parses IPv4 CIDRs into a BlockList.
 * @throws TypeError for anything but an IPv4 "a.b.c.d/n" with n 0-32.
 */
export function cidrList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const [net, bits, extra] = c.split('/');
    const n = Number(bits);
    if (extra !== undefined || !net || !isIPv4(net) || !/^\d{1,2}$/.test(bits ?? '') || n > 32) throw new TypeError(`not an IPv4 CIDR: ${JSON.stringify(c)}`);
    list.addSubnet(net, n, 'ipv4');
  }
  return list;
}

/** One call's source state. All times are performance.now() ms. */
export class SourceLatch {
  private address: string | undefined;
  private port = 0;
  private sdpAddress: string | undefined;
  private windowEnds = -Infinity;
  /** Media was accepted since the last SDP: the window then closes at windowEnds. */
  private flowing = false;
  private readonly probation: number;
  private readonly windowMs: number;
  private readonly trusted: BlockList | undefined;
  private candAddress: string | undefined;
  private candPort = 0;
  private candSeq = 0;
  private candRun = 0;

  /** @throws TypeError on a malformed CIDR. */
  constructor(private readonly opts: LatchOptions = {}) {
    this.probation = Math.max(1, opts.probationPackets ?? 4);
    this.windowMs = opts.learningWindowMs ?? 10_000;
    this.trusted = opts.trustedCidrs?.length ? cidrList(opts.trustedCidrs) : undefined;
  }

  /** The call's current source, if any. */
  get source(): { address: string; port: number } | undefined {
    return this.address === undefined ? undefined : { address: this.address, port: this.port };
  }

  /** A new SDP destination (undefined: none yet): it becomes the source, and the learning window opens. */
  expect(remote: { address: string; port: number } | undefined, now: number): void {
    this.address = remote?.address;
    this.port = remote?.port ?? 0;
    this.sdpAddress = remote?.address;
    this.windowEnds = remote ? now + this.windowMs : -Infinity;
    this.flowing = false;
    this.candAddress = undefined;
    this.candRun = 0;
  }

  /**
   * Decides about one valid packet.
   * @param authenticated true when it passed SRTP authentication.
   */
  check(address: string, port: number, seq: number, authenticated: boolean, now: number): LatchVerdict {
    if (port === this.port && address === this.address) {
      this.flowing = true;
      return LatchVerdict.Accept;
    }
    if (this.sdpAddress === undefined || (now > this.windowEnds && this.flowing) || !this.mayLearn(address)) return LatchVerdict.Drop;
    if (address === this.candAddress && port === this.candPort && seq === ((this.candSeq + 1) & 0xffff)) this.candRun++;
    else {
      this.candAddress = address;
      this.candPort = port;
      this.candRun = 1;
    }
    this.candSeq = seq;
    if (!authenticated && this.candRun < this.probation) return LatchVerdict.Drop;
    this.address = address;
    this.port = port;
    this.candAddress = undefined;
    this.candRun = 0;
    this.flowing = true;
    return LatchVerdict.Learned;
  }

  private mayLearn(address: string): boolean {
    return address === this.sdpAddress || address === this.opts.signallingAddress || (this.trusted?.check(address, 'ipv4') ?? false);
  }
}
