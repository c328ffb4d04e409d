/**
 * Which contact-center contact a call belongs to, decided once when the INVITE arrives and
 * then bound to the call, for the amazon_connect and nice_cxone outcomes. The contact id in an
 * INVITE is never trusted on its own: the contact center's side hands over a short-lived
 * contact token (lib/contact-token.ts) that names it.
 *
 * - Amazon Connect: User-to-User holds the token (the flow's Lambda minted it and the Transfer
 *   to phone number block set it as UserToUserInformation; the Voice Connector sends it hex
 *   encoded with `;encoding=hex`, docs.aws.amazon.com/chime-sdk/latest/dg/sip-headers.html).
 *   The token's ContactId leads to the flow's registration (lib/store/contact-registry.ts),
 *   which gives InitialContactId; the instance comes from configuration (`instanceArn`), and a
 *   registration naming another instance is refused. Opt-in fallback (`numberMatchFallback`,
 *   off by default): the latest registration for (dialed number, caller number).
 * - NICE CXone: X-ContactID (the script's Sipputheader) plus X-Contact-Token, which the script
 *   obtained from the mint endpoint (functions/nice-cxone/contact-token.ts); the token must
 *   name the same contact id. Opt-in weaker mode (`trustContactIdHeader`): X-ContactID alone.
 *
 * A verified contact is bound to the SIP Call-ID in the store (bindContactToCall), so a token
 * cannot bring a second call onto its contact. Once bound, the call keeps its contact for the
 * whole conversation, however long: the token's expiry is checked only on arrival.
 * Every decision is logged with its path (`via`) and counted in
 * media_core_contact_identity_total{vendor, via, result}.
 */
import { Counter } from 'prom-client';
import type { AmazonConnectContext, NiceCxoneContext } from '../../events/outcome.ts';
import { contactTokenSecretLoader } from '../../adapters/common/contact-token-secret.ts';
import { isCxoneContactId } from '../../lib/contact-id.ts';
import { verifyContactToken, type TokenVendor } from '../../lib/contact-token.ts';
import type { Logger } from '../../lib/log.ts';
import type { Store } from '../../lib/store/client.ts';
import { bindContactToCall, findContactById, findContactByNumbers, type ContactRegistration } from '../../lib/store/contact-registry.ts';
import { type Call, type CallInfo } from '../call/types.ts';
import type { VendorSettings } from '../config/schema.ts';
import { metricsRegistry } from '../observability/metrics.ts';
import { findHeader } from '../../events/sip-header.ts';

/** The header carrying the CXone contact token (set by the script's Sipputheader). */
export const CXONE_TOKEN_HEADER = 'X-Contact-Token';

/** How the contact was established: a verified token, or one of the two opt-in weaker modes. */
export type ContactVia = 'token' | 'number_match' | 'header_only';

/** The contact bound to a call. */
export type BoundContact =
  | { vendor: 'amazon_connect'; amazonConnect: AmazonConnectContext; via: ContactVia; contactId: string }
  | { vendor: 'nice_cxone'; niceCxone: NiceCxoneContext; via: ContactVia; contactId: string };

export type ContactDecision = { ok: true; contact: BoundContact } | { ok: false; reason: string };

/** Calls whose contact was decided, by contact center, path and result. */
export const contactIdentityTotal = new Counter({
  name: 'media_core_contact_identity_total',
  help: 'Contact-center contacts established for inbound calls, by vendor, path (token, number_match, header_only, none) and result (accepted, refused).',
  labelNames: ['vendor', 'via', 'result'] as const,
  registers: [metricsRegistry],
});

/** Decodes a User-to-User value: `<hex>;encoding=hex` -> text; otherwise the part before ";" (RFC 7433). */
export function decodeUui(value: string): string {
  const [data = '', ...params] = value.split(';').map((s) => s.trim());
  const enc = params.find((p) => /^encoding=/i.test(p))?.split('=')[1]?.toLowerCase();
  if (enc === 'hex' && /^([0-9a-f]{2})+$/i.test(data)) return Buffer.from(data, 'hex').toString('utf8');
  return data;
}

/** Instance id from an instance ARN (arn:aws:connect:region:account:instance/<id>). */
export function instanceIdFromArn(arn: string): string | undefined {
  const m = /^arn:aws[\w-]*:connect:[^:]*:[^:]*:instance\/([^/\s]+)$/.exec(arn);
  return m?.[1];
}

export interface ContactVerifierDeps {
  store?: Store;
  /** CONTACT_TOKEN_SECRET or CONTACT_TOKEN_SECRET_PARAM (adapters/common/contact-token-secret.ts). */
  env?: Record<string, string | undefined>;
  /** Overrides the env secret (tests). */
  secrets?: () => Promise<string[]>;
  log?: Logger;
  /** Epoch ms (tests). */
  now?: () => number;
}

/** Seconds a binding is kept: longer than any token can live, so a replay inside the lifetime always meets it. */
const BINDING_TTL_SECONDS = 3600;

/** Verifies and binds contacts; one per media core process. */
export class ContactVerifier {
  #secrets?: () => Promise<string[]>;

  constructor(private readonly d: ContactVerifierDeps = {}) {
    if (d.secrets) this.#secrets = d.secrets;
  }

  async #loadSecrets(): Promise<string[]> {
    if (!this.#secrets) {
      const load = contactTokenSecretLoader(this.d.env ?? process.env);
      this.#secrets = async () => [await load()];
    }
    return this.#secrets();
  }

  #now(): number {
    return this.d.now?.() ?? Date.now();
  }

  async #verifyToken(vendor: TokenVendor, token: string | undefined) {
    if (!token) return { ok: false as const, reason: 'missing' };
    let secrets: string[];
    try {
      secrets = await this.#loadSecrets();
    } catch (err) {
      this.#secrets = undefined;
      this.d.log?.error({ err: (err as Error).message }, 'contact token secret unavailable; calls needing a token are refused');
      return { ok: false as const, reason: 'no_secret' };
    }
    return verifyContactToken(token, { vendor, secrets, now: this.#now() });
  }

  /** false when another call already holds the contact; a store failure is logged and lets the call through (the token itself was verified). */
  async #bind(vendor: TokenVendor, contactId: string, callId: string): Promise<boolean> {
    if (!this.d.store) return true;
    try {
      return await bindContactToCall(this.d.store, { vendor, contactId, callId, ttlSeconds: BINDING_TTL_SECONDS }, this.#now());
    } catch (err) {
      this.d.log?.warn({ err: (err as Error).message, contactId }, 'contact binding not recorded (store unavailable)');
      return true;
    }
  }

  /**
   * Decides the contact of an inbound call for an API vendor. Never throws.
   * @returns the contact, or the reason to refuse the call (safe to log).
   */
  async verify(info: CallInfo, settings: VendorSettings): Promise<ContactDecision> {
    if (settings.vendor !== 'amazon_connect' && settings.vendor !== 'nice_cxone') return { ok: false, reason: 'not an API vendor' };
    let decision: ContactDecision;
    try {
      decision = settings.vendor === 'amazon_connect' ? await this.#connect(info, settings) : await this.#cxone(info, settings);
    } catch (err) {
      decision = { ok: false, reason: `contact lookup failed: ${(err as Error).message.slice(0, 200)}` };
    }
    const via = decision.ok ? decision.contact.via : 'none';
    contactIdentityTotal.inc({ vendor: settings.vendor, via, result: decision.ok ? 'accepted' : 'refused' });
    if (decision.ok) {
      const fields = { vendor: settings.vendor, via, contactId: decision.contact.contactId };
      if (via === 'token') this.d.log?.info(fields, 'contact verified by token');
      else this.d.log?.warn(fields, `contact NOT authenticated: ${via === 'number_match' ? 'number match fallback (numberMatchFallback)' : 'X-ContactID trusted without token (trustContactIdHeader)'}`);
    } else {
      this.d.log?.warn({ vendor: settings.vendor, reason: decision.reason }, 'contact refused');
    }
    return decision;
  }

  async #connect(info: CallInfo, s: Extract<VendorSettings, { vendor: 'amazon_connect' }>): Promise<ContactDecision> {
    const uui = findHeader(info.inviteHeaders, 'User-to-User');
    const token = uui ? decodeUui(uui) : undefined;
    const t = await this.#verifyToken('amazon_connect', token);
    const configured = s.instanceArn ? instanceIdFromArn(s.instanceArn) : undefined;
    const contextFor = (reg: ContactRegistration | undefined, contactId: string): AmazonConnectContext | string => {
      if (reg && s.instanceArn && reg.InstanceARN !== s.instanceArn) return 'the registration names another Connect instance than instanceArn';
      const InstanceId = configured ?? reg?.InstanceId;
      const InstanceARN = s.instanceArn ?? reg?.InstanceARN;
      if (!InstanceId) return 'no instance: set instanceArn (no flow registration found)';
      return { InstanceId, InstanceARN, InitialContactId: reg?.InitialContactId ?? contactId };
    };
    if (t.ok) {
      if (!(await this.#bind('amazon_connect', t.contactId, info.callId))) return { ok: false, reason: 'token already bound to another call' };
      const reg = this.d.store ? await findContactById(this.d.store, t.contactId, this.#now()) : undefined;
      const ctx = contextFor(reg, t.contactId);
      if (typeof ctx === 'string') return { ok: false, reason: ctx };
      return { ok: true, contact: { vendor: 'amazon_connect', amazonConnect: ctx, via: 'token', contactId: t.contactId } };
    }
    if (s.numberMatchFallback && this.d.store) {
      const reg = await findContactByNumbers(this.d.store, info.calledUser, info.callerUser, this.#now());
      if (reg) {
        const ctx = contextFor(reg, reg.ContactId);
        if (typeof ctx === 'string') return { ok: false, reason: ctx };
        if (!(await this.#bind('amazon_connect', reg.ContactId, info.callId))) return { ok: false, reason: 'the matched contact is bound to another call' };
        return { ok: true, contact: { vendor: 'amazon_connect', amazonConnect: ctx, via: 'number_match', contactId: reg.ContactId } };
      }
    }
    return { ok: false, reason: `contact token ${t.reason}` };
  }

  async #cxone(info: CallInfo, s: Extract<VendorSettings, { vendor: 'nice_cxone' }>): Promise<ContactDecision> {
    const id = findHeader(info.inviteHeaders, 'X-ContactID')?.trim();
    if (!id) return { ok: false, reason: 'no X-ContactID header' };
    if (!isCxoneContactId(id)) return { ok: false, reason: 'X-ContactID is not a CXone contact id (digits)' };
    const t = await this.#verifyToken('nice_cxone', findHeader(info.inviteHeaders, CXONE_TOKEN_HEADER)?.trim());
    if (t.ok && t.contactId !== id) return { ok: false, reason: 'the contact token names another contact than X-ContactID' };
    if (t.ok || s.trustContactIdHeader) {
      if (!(await this.#bind('nice_cxone', id, info.callId))) return { ok: false, reason: 'contact already bound to another call' };
      return { ok: true, contact: { vendor: 'nice_cxone', niceCxone: { ContactId: id }, via: t.ok ? 'token' : 'header_only', contactId: id } };
    }
    return { ok: false, reason: `contact token ${t.reason}` };
  }
}

const bound = new WeakMap<Call, BoundContact>();

/** Binds the verified contact to the call object (read back at outcome time). */
export function bindCallContact(call: Call, contact: BoundContact): void {
  bound.set(call, contact);
}

/** The contact bound to `call` when its INVITE arrived, or undefined. */
export function boundContact(call: Call): BoundContact | undefined {
  return bound.get(call);
}
