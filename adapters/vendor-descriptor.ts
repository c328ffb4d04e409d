/**
 * What one contact center is, as one pure value: adapters/<vendor>/vendor.ts exports a
 * {@link VendorDescriptor} and adapters/registry.ts lists them. Modelled on Powertools'
 * BaseProvider (docs.powertools.aws.dev/lambda/typescript/latest/utilities/parameters/#bring-your-own-provider):
 * the shared machinery (contact tokens, bindings, metrics, the outcome function, the SIP
 * stack) lives once, a vendor fills in only what differs.
 *
 * Pure: a descriptor imports no SDK client and performs no I/O at module load, so the media
 * core can import the registry for contact matching and SIP actions without pulling vendor
 * SDKs into its image. The API apply step loads its client lazily (`loadApply`).
 */
import type { z } from 'zod';
import type { AdapterReply, OutcomeEvent } from '../events/outcome.ts';
import type { SipHeader } from '../events/sip-header.ts';
import type { TokenVendor } from '../lib/contact-token.ts';
import type { Logger } from '../lib/log.ts';
import type { Store } from '../lib/store/client.ts';
import type { VendorDeploy } from './deploy-template.ts';
import type { ConnectionCheck, SipAction } from './types.ts';

/** The parts of an inbound INVITE a vendor reads (the media core's CallInfo has this shape). */
export interface InviteInfo {
  callId: string;
  /** Request-URI user (the dialed number). */
  calledUser: string;
  /** From user (the caller's number). */
  callerUser: string;
  inviteHeaders: readonly SipHeader[];
}

/** How the contact was established: a verified token, or one of the two opt-in weaker modes. */
export type ContactVia = 'token' | 'number_match' | 'header_only';

/**
 * The contact a call belongs to, decided when the INVITE arrives. `outcome` is merged into
 * every OutcomeEvent of the call (e.g. `{ amazonConnect: {...} }`, events/outcome.ts).
 */
export interface BoundContact {
  vendor: string;
  via: ContactVia;
  contactId: string;
  outcome: Partial<OutcomeEvent>;
}

export type ContactDecision = { ok: true; contact: BoundContact } | { ok: false; reason: string };

/** The shared machinery a vendor's contact finder uses (media-core/conversation/contact.ts). */
export interface ContactTools {
  /** Verifies a contact token (lib/contact-token.ts) of `vendor` (adapters/<vendor>/contact-id.ts) against the configured secrets. Never throws. */
  verifyToken(vendor: TokenVendor, token: string | undefined): Promise<{ ok: true; contactId: string } | { ok: false; reason: string }>;
  /** Binds the contact to this call; false when another call already holds it. */
  bind(vendor: string, contactId: string): Promise<boolean>;
  store?: Store;
  /** Epoch ms. */
  now(): number;
}

/** What a SIP-route vendor is asked to build at connect_to_agent. */
export interface SipTransferInput {
  /** `transfer_info.target.service_desk.sip` as the assistant sent it (checked for injection already); undefined at drain. */
  sip: Record<string, unknown> | undefined;
  sessionHistoryKey: string;
  /** message_to_human_agent, cleaned (adapters/common/agent-message.ts). */
  summary?: string;
}

/** One vendor's apply step, built once per warm function from its environment. */
export interface OutcomeApplier {
  /** Applies the raw invocation payload; never throws (every failure is a reply). */
  apply(raw: unknown, deps: { store: Store; startedAt: number; log?: Logger }): Promise<AdapterReply>;
}

/** Builds a vendor's apply step from the function's environment. @throws ConfigError */
export type LoadApplier = (env?: Record<string, string | undefined>) => Promise<OutcomeApplier>;

/** Dev tooling hooks (`npm run call`, the sandboxes); never used in production. */
export interface VendorDevHooks {
  /** Demo number the local stack routes to this vendor (config/demo). */
  demoNumber?: string;
  /** Fresh ids the vendor would give one call (contact id, CallSid...). */
  newCallIds?(instanceArn: string): { contactId?: string; instanceArn?: string };
  /** "Name: value" lines the vendor's platform adds to the INVITE. */
  inviteHeaders?(ids: { contactId?: string; contactToken?: string }): string[];
  /** Whether a sandbox event (dev/sandboxes/types.ts SandboxEvent) is this vendor's outcome request for `contactId`. */
  isOutcomeRequest?(e: { vendor: string; operation: string; params: Record<string, unknown> }, contactId: string): boolean;
}

/** zod schema of an integration's `contactCenter` settings: an object discriminated by `vendor`. */
export type SettingsSchema = z.ZodObject<{ vendor: z.ZodLiteral<string> } & z.core.$ZodLooseShape>;

/**
 * A contact center. `Sch` is the schema of its integration settings (the media core's config
 * file, `contactCenter`); `S` what it parses to.
 */
export interface VendorDescriptor<Sch extends SettingsSchema = SettingsSchema, S = z.output<Sch>> {
  /** The `vendor` value in config and OutcomeEvent, e.g. 'amazon_connect'. */
  id: z.output<Sch['shape']['vendor']>;
  /** Human name, e.g. 'Amazon Connect'. */
  label: string;
  /** zod schema of the integration's `contactCenter` settings. */
  settings: Sch;
  /** zod schema of the contact context the outcome carries (API vendors). */
  context?: z.core.$ZodType;
  /** 'sip': the media core performs a REFER/BYE itself; 'lambda': the outcome function applies it through the vendor's API. */
  route: 'sip' | 'lambda';
  /** Finds and verifies the call's contact from the INVITE (API vendors). Never throws. */
  findContact?(invite: InviteInfo, settings: S, tools: ContactTools): Promise<ContactDecision>;
  /** The SIP action of a transfer (SIP vendors). @throws UnsafeSipHeaderError or the vendor's translate error. */
  sipTransfer?(input: SipTransferInput, settings: S): SipAction;
  /** Whether a transfer without the assistant (the drain action) has a target. */
  hasDefaultTarget(settings: S): boolean;
  /** The function that applies outcomes (API vendors); connect_to_agent's custom_data comes from `transfer_info.target.<id>.custom_data`. */
  functionName?(settings: S): string;
  /** Builds the apply step from the function's environment, loading the SDK client lazily (adapters/<vendor>/applier.ts). @throws ConfigError */
  loadApplier?: LoadApplier;
  /** "Test connection": one cheap authenticated read with the credentials in `env` (infra/test-connection.ts); loads its client lazily. @throws ConfigError */
  checkConnection?(env: Record<string, string | undefined>): Promise<ConnectionCheck>;
  /** The vendor's functions and their least-privilege roles in the stack (merged into serverless.yml by infra/vendor-functions.cjs). */
  deploy?: VendorDeploy;
  dev: VendorDevHooks;
}

/** Declares a descriptor with its settings type inferred from its schema. */
export function defineVendor<Sch extends SettingsSchema>(d: VendorDescriptor<Sch>): VendorDescriptor<Sch> {
  return d;
}

/**
 * Imports a module of a vendor's folder at run time, out of the bundlers' reach: the media core
 * bundles the registry (esbuild, media-core/Dockerfile) and must not carry the vendors' SDK
 * clients, and esbuild leaves an import() of a computed specifier alone
 * (https://esbuild.github.io/api/#non-analyzable-imports).
 * @param relative path from `base`, e.g. './applier.ts'; `base` is the caller's import.meta.url.
 */
export function lazyImport<M>(relative: string, base: string): Promise<M> {
  return import(new URL(relative, base).href) as Promise<M>;
}

/**
 * The fields every API vendor (route 'lambda') shares: the outcome function named by the
 * settings' `functionName`, always a default target (the vendor's flow decides where the call
 * goes), and the apply step loaded lazily from the folder's `applier.ts` (export `loadApplier`)
 * and, with `checkConnection`, the check from its `test-connection.ts` (export `checkConnection`).
 * @param base the vendor.ts module's import.meta.url.
 */
export function lambdaRoute(base: string, o: { checkConnection?: boolean } = {}) {
  return {
    route: 'lambda' as const,
    hasDefaultTarget: () => true,
    functionName: (s: { functionName: string }) => s.functionName,
    loadApplier: ((env) => lazyImport<{ loadApplier: LoadApplier }>('./applier.ts', base).then((m) => m.loadApplier(env))) as LoadApplier,
    ...(o.checkConnection && {
      checkConnection: (env: Record<string, string | undefined>) =>
        lazyImport<{ checkConnection(e: typeof env): Promise<ConnectionCheck> }>('./test-connection.ts', base).then((m) => m.checkConnection(env)),
    }),
  };
}
