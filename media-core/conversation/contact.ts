/**
 * Which contact-center contact a call belongs to, decided once when the INVITE arrives and
 * then bound to the call, for the vendors whose outcomes go through the vendor's API
 * (route 'lambda'). How a vendor finds its contact in the INVITE is its descriptor's
 * `findContact` (adapters/<vendor>/contact.ts); this file holds what they share. The contact
 * id in an INVITE is never trusted on its own: the contact center's side hands over a
 * short-lived contact token (lib/contact-token.ts) that names it.
 *
 * A verified contact is bound to the SIP Call-ID in the store (bindContactToCall), so a token
 * cannot bring a second call onto its contact. Once bound, the call keeps its contact for the
 * whole conversation, however long: the token's expiry is checked only on arrival.
 * Every decision is logged with its path (`via`) and counted in
 * media_core_contact_identity_total{vendor, via, result}.
 */
import { Counter } from 'prom-client';
import { contactTokenSecretLoader } from '../../adapters/common/contact-token-secret.ts';
import { verifyContactToken, type TokenVendor } from '../../lib/contact-token.ts';
import type { Logger } from '../../lib/log.ts';
import type { Store } from '../../lib/store/client.ts';
import { bindContactToCall } from '../../lib/store/contact-registry.ts';
import { vendorFor } from '../../adapters/registry.ts';
import type { BoundContact, ContactDecision } from '../../adapters/vendor-descriptor.ts';
import { type Call, type CallInfo } from '../call/types.ts';
import type { VendorSettings } from '../config/schema.ts';
import { metricsRegistry } from '../observability/metrics.ts';

/** Calls whose contact was decided, by contact center, path and result. */
export const contactIdentityTotal = new Counter({
  name: 'media_core_contact_identity_total',
  help: 'Contact-center contacts established for inbound calls, by vendor, path (token, number_match, header_only, none) and result (accepted, refused).',
  labelNames: ['vendor', 'via', 'result'] as const,
  registers: [metricsRegistry],
});

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
  async #bind(vendor: string, contactId: string, callId: string): Promise<boolean> {
    if (!this.d.store) return true;
    try {
      return await bindContactToCall(this.d.store, { vendor, contactId, callId, ttlSeconds: BINDING_TTL_SECONDS }, this.#now());
    } catch (err) {
      this.d.log?.warn({ err: (err as Error).message, contactId }, 'contact binding not recorded (store unavailable)');
      return true;
    }
  }

  /**
   * Decides the contact of an inbound call with its vendor's `findContact`. Never throws.
   * @returns the contact, or the reason to refuse the call (safe to log).
   */
  async verify(info: CallInfo, settings: VendorSettings): Promise<ContactDecision> {
    const find = vendorFor(settings).findContact;
    if (!find) return { ok: false, reason: 'this vendor has no contact to find' };
    let decision: ContactDecision;
    try {
      decision = await find(info, {
        verifyToken: (vendor, token) => this.#verifyToken(vendor, token),
        bind: (vendor, contactId) => this.#bind(vendor, contactId, info.callId),
        store: this.d.store,
        now: () => this.#now(),
      });
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
