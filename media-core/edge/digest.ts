/**
 * SIP digest authentication for generic trunks (RFC 3261 section 22.4 with the RFC 2617
 * qop=auth computation, RFC 8760 for SHA-256), server side and stateless:
 *
 * - the nonce is `<time>.<mac>`: the issue time in seconds (base 36) and an HMAC-SHA-256,
 *   under a key drawn at start, over that time and the source address. Checking it needs no
 *   table: a nonce is accepted from the address it was issued to, for `nonceTtlS` seconds;
 *   an older one with a good MAC gets a new challenge with stale=true (RFC 2617 section 3.2.1);
 * - the challenge (401 with one WWW-Authenticate per algorithm, SHA-256 first as RFC 8760
 *   section 2.4 asks) is built from the request alone and sent without a transaction.
 *
 * Without server state, a nonce can be replayed from the same address within its lifetime
 * (nc is not tracked); the short lifetime and the source binding bound that. The password
 * comes from an environment variable named in the configuration, never from the file.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type DigestAlgorithm = 'SHA-256' | 'MD5';

/** Credentials and policy of one integration. */
export interface DigestOptions {
  realm: string;
  username: string;
  password: string;
  /** Offered in this order (default SHA-256, then MD5 for older trunks). */
  algorithms?: DigestAlgorithm[];
  /** Nonce lifetime, seconds (default 300). */
  nonceTtlS?: number;
}

/** Outcome of checking a request's Authorization header. */
export type DigestResult = { ok: true } | { ok: false; stale: boolean; reason: string };

const hash = (alg: DigestAlgorithm, s: string) => createHash(alg === 'MD5' ? 'md5' : 'sha256').update(s).digest('hex');

/**
 * Parses `Digest a=b, c="d"` (RFC 3261 section 25.1 credentials) in one pass.
 * Returns undefined when the scheme is not Digest or the syntax is broken.
 */
export function parseDigestParams(value: string): Map<string, string> | undefined {
  const s = value.trim();
  if (s.slice(0, 7).toLowerCase() !== 'digest ') return undefined;
  const out = new Map<string, string>();
  let i = 7;
  const n = s.length;
  while (i < n) {
    while (i < n && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
    if (i >= n) break;
    const nameStart = i;
    while (i < n && s[i] !== '=' && s[i] !== ' ' && s[i] !== '\t' && s[i] !== ',') i++;
    const name = s.slice(nameStart, i).toLowerCase();
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    if (!name || s[i] !== '=') return undefined;
    i++;
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    let v = '';
    if (s[i] === '"') {
      i++;
      while (i < n && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < n) i++;
        v += s[i];
        i++;
      }
      if (s[i] !== '"') return undefined;
      i++;
    } else {
      const vStart = i;
      while (i < n && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
      v = s.slice(vStart, i);
    }
    if (!out.has(name)) out.set(name, v);
  }
  return out;
}

/** Issues and checks stateless digest challenges for one integration. */
export class DigestAuthenticator {
  private readonly key = randomBytes(32);
  private readonly algorithms: DigestAlgorithm[];
  private readonly ttlS: number;

  constructor(private readonly opts: DigestOptions) {
    this.algorithms = opts.algorithms?.length ? opts.algorithms : ['SHA-256', 'MD5'];
    this.ttlS = opts.nonceTtlS ?? 300;
  }

  private mac(time: string, source: string): string {
    return createHmac('sha256', this.key).update(`${time}|${source}`).digest('base64url').slice(0, 27);
  }

  /** A fresh nonce bound to `source` (the packet's address) and the current time. */
  nonce(source: string, nowMs = Date.now()): string {
    const time = Math.floor(nowMs / 1000).toString(36);
    return `${time}.${this.mac(time, source)}`;
  }

  /** WWW-Authenticate values for a 401 (one per algorithm). */
  challenge(source: string, stale = false, nowMs = Date.now()): string[] {
    const nonce = this.nonce(source, nowMs);
    return this.algorithms.map((a) => `Digest realm="${this.opts.realm}", nonce="${nonce}", algorithm=${a}, qop="auth"${stale ? ', stale=true' : ''}`);
  }

  /**
   * Checks the Authorization headers of a request from `source`: RFC 2617 section 3.2.2.1
   * with qop=auth (or none), HA1 = H(username:realm:password), HA2 = H(method:digest-uri).
   */
  verify(authorizations: string[], method: string, source: string, nowMs = Date.now()): DigestResult {
    let stale = false;
    let reason = 'no Authorization for this realm';
    for (const a of authorizations) {
      const p = parseDigestParams(a);
      if (!p || p.get('realm') !== this.opts.realm) continue;
      const alg = (p.get('algorithm') ?? 'MD5').toUpperCase() as DigestAlgorithm;
      if (!this.algorithms.includes(alg)) {
        reason = 'algorithm not offered';
        continue;
      }
      const nonce = p.get('nonce') ?? '';
      const dot = nonce.indexOf('.');
      const time = nonce.slice(0, dot);
      if (dot < 1 || !equal(nonce.slice(dot + 1), this.mac(time, source))) {
        reason = 'nonce not issued to this source';
        continue;
      }
      const age = nowMs / 1000 - parseInt(time, 36);
      if (!(age >= -5 && age <= this.ttlS)) {
        stale = true;
        reason = 'nonce expired';
        continue;
      }
      const uri = p.get('uri') ?? '';
      const qop = p.get('qop');
      const ha1 = hash(alg, `${this.opts.username}:${this.opts.realm}:${this.opts.password}`);
      const ha2 = hash(alg, `${method}:${uri}`);
      const expected =
        qop === 'auth' ? hash(alg, `${ha1}:${nonce}:${p.get('nc') ?? ''}:${p.get('cnonce') ?? ''}:auth:${ha2}`) : qop === undefined ? hash(alg, `${ha1}:${nonce}:${ha2}`) : '';
      if (p.get('username') === this.opts.username && expected && equal(p.get('response') ?? '', expected)) return { ok: true };
      reason = 'bad credentials';
    }
    return { ok: false, stale, reason };
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
