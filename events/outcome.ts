/**
 * The outcome contract between the media core and the adapter functions.
 *
 * When the assistant returns `connect_to_agent` or `end_session`, or the conversation fails,
 * the media core builds an {@link OutcomeEvent} and invokes the vendor's adapter function
 * with it (AWS Lambda Invoke, RequestResponse). The adapter answers with an
 * {@link AdapterReply}; the media core sends BYE only after `status: "applied"`.
 *
 * Spec: what each vendor expects, from IBM's phone integration documentation
 * (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-amazon-connect,
 * https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-nicecxone),
 * Amazon Connect UpdateContactAttributes
 * (https://docs.aws.amazon.com/connect/latest/APIReference/API_UpdateContactAttributes.html) and
 * the CXone signal API (p1 = session history key).
 */
// zod/mini: the same validation as classic zod at a fraction of the bundle (~440 KB less per
// outcome function, ~100 ms less cold start, measured by bench/adapters.bench.ts).
import { z } from 'zod/mini';

/** Version of this contract; bump on any incompatible change. */
export const OUTCOME_VERSION = 1 as const;

/** The contact-center vendors the project supports (one folder each in adapters/). */
export const Vendor = z.enum(['sip_trunk', 'twilio_flex', 'amazon_connect', 'nice_cxone']);
export type Vendor = z.infer<typeof Vendor>;

/** transfer = connect_to_agent; hangup = end_session; error = the conversation failed. */
export const OutcomeKind = z.enum(['transfer', 'hangup', 'error']);
export type OutcomeKind = z.infer<typeof OutcomeKind>;

/**
 * Amazon Connect contact the call belongs to, with the API's own parameter names
 * (UpdateContactAttributes takes InstanceId and InitialContactId).
 */
export const AmazonConnectContext = z.object({
  /** Instance id (the last part of the instance ARN). */
  InstanceId: z.string().check(z.minLength(1), z.maxLength(100)),
  /** Instance ARN as sent in the Voice Connector INVITE's User-to-User, when known. */
  InstanceARN: z.optional(z.string().check(z.minLength(1))),
  /** The contact's initial contact id, 1-256 characters. */
  InitialContactId: z.string().check(z.minLength(1), z.maxLength(256)),
});
export type AmazonConnectContext = z.infer<typeof AmazonConnectContext>;

/** NICE CXone contact, from the INVITE's X-ContactID header (Sipputheader in the script). */
export const NiceCxoneContext = z.object({
  ContactId: z.string().check(z.minLength(1), z.maxLength(64)),
});
export type NiceCxoneContext = z.infer<typeof NiceCxoneContext>;

/** custom_data of the connect_to_agent response, as the assistant sent it (validated by each adapter). */
export const CustomData = z.record(z.string(), z.unknown());

export const OutcomeEvent = z
  .object({
    version: z.literal(OUTCOME_VERSION),
    /** Idempotency key: a duplicate outcomeId is applied once. 8-128 characters. */
    outcomeId: z.string().check(z.minLength(8), z.maxLength(128)),
    /** SIP Call-ID of the call the outcome ends. */
    sipCallId: z.string().check(z.minLength(1), z.maxLength(512)),
    vendor: Vendor,
    kind: OutcomeKind,
    /** Session history key (transfer); absent for hangup/error. */
    sessionHistoryKey: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
    /** connect_to_agent transfer_info.target.<vendor>.custom_data. */
    customData: z._default(CustomData, {}),
    /**
     * connect_to_agent `message_to_human_agent` (transfer only): the assistant's summary for
     * the agent, controls replaced, at most 4,000 characters (adapters/common/agent-message.ts).
     * Each adapter fits it to its vendor's limits.
     */
    messageToHumanAgent: z.optional(z.string().check(z.minLength(1), z.maxLength(8000))),
    /** ISO-8601 time the media core decided the outcome. */
    occurredAt: z.iso.datetime(),
    amazonConnect: z.optional(AmazonConnectContext),
    niceCxone: z.optional(NiceCxoneContext),
  })
  .check(z.superRefine((o, ctx) => {
    if (o.kind === 'transfer' && !o.sessionHistoryKey) {
      ctx.addIssue({ code: 'custom', path: ['sessionHistoryKey'], message: 'a transfer outcome needs the session history key' });
    }
    if (o.vendor === 'amazon_connect' && !o.amazonConnect) {
      ctx.addIssue({ code: 'custom', path: ['amazonConnect'], message: 'an amazon_connect outcome needs InstanceId and InitialContactId' });
    }
    if (o.vendor === 'nice_cxone' && !o.niceCxone) {
      ctx.addIssue({ code: 'custom', path: ['niceCxone'], message: 'a nice_cxone outcome needs ContactId' });
    }
  }));
export type OutcomeEvent = z.infer<typeof OutcomeEvent>;
export type OutcomeEventInput = z.input<typeof OutcomeEvent>;

/** Why an adapter refused or failed to apply an outcome. */
export const RejectReason = z.enum([
  'invalid_outcome', // the event does not match this contract
  'invalid_custom_data', // custom_data breaks the vendor's rules (keys, types, size, reserved p1)
  'vendor_rejected', // the vendor answered with a non-retryable error
  'deadline_exceeded', // retryable errors continued past the deadline
  'auth_failed', // credentials refused
  'not_configured', // the adapter lacks a setting it needs
  'outcome_unknown', // a request may have reached the vendor but no answer came (timeout, reset) and the vendor's state could not show it; not re-applied
]);
export type RejectReason = z.infer<typeof RejectReason>;

export const AdapterReply = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('applied'),
    outcomeId: z.string(),
    vendor: Vendor,
    /** true when this outcomeId had been applied before and nothing was sent again. */
    duplicate: z.boolean(),
    /** Vendor requests made for this reply (0 for a duplicate). */
    attempts: z.int().check(z.nonnegative()),
  }),
  z.object({
    status: z.literal('rejected'),
    outcomeId: z.string(),
    vendor: Vendor,
    reason: RejectReason,
    /** Human-readable cause, safe to log (no secrets, no caller numbers). */
    message: z.string(),
    attempts: z.int().check(z.nonnegative()),
  }),
]);
export type AdapterReply = z.infer<typeof AdapterReply>;
