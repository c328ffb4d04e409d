/**
 * Contact registrations and bindings (item family `contact#...`, see client.ts).
 *
 * Amazon Connect: the flow-invoked Lambda registers the contact just before the flow's
 * "Transfer to phone number" block sends the call to the media core through the Chime Voice
 * Connector, and returns a contact token (lib/contact-token.ts) that the flow sets as the
 * block's User-to-User information. The media core verifies the token and then looks the
 * contact up:
 *
 * - by id (the primary path): pk `contact#id#<ContactId>`, the ContactId the token names. It
 *   gives InitialContactId (what UpdateContactAttributes takes) and the instance.
 * - by numbers (opt-in fallback, off by default): pk `contact#num#<dialed digits>#<caller
 *   digits>`. The flow transfers with ToUser = Dialed Number and FromUser = Customer Number,
 *   so those two name the call only as long as one caller has one call to one number: a
 *   second call from the same caller to the same number replaces the first registration, and
 *   the From number is not authenticated. Only digits are kept because SIP user parts may drop
 *   the leading "+".
 *
 * Bindings: pk `contact#bound#<vendor>#<contact id>` sk `call` records the SIP Call-ID that
 * first presented a contact's token, so the same token cannot bring a second call onto the
 * contact (a replayed or leaked token), while retransmissions of the same INVITE still pass.
 *
 * Registrations live a short time (default 600 s): the INVITE follows the flow block within
 * seconds. The caller number is stored as given (needed for the fallback) and must never be
 * logged unredacted (lib/redact.ts).
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Store } from './client.ts';
import { WRITE_PRIORITY, writeQueueFor } from './write-queue.ts';

/** How long a registration write may be retried before the flow's Lambda gives up, ms (the INVITE follows within seconds). */
const REGISTRATION_WRITE_DEADLINE_MS = 5000;

/** Seconds a registration stays findable (CONTACT_REGISTRATION_TTL_SECONDS). */
export const CONTACT_REGISTRATION_TTL_SECONDS = 600;

/** One Amazon Connect contact waiting for its Voice Connector INVITE. */
export interface ContactRegistration {
  ContactId: string;
  InitialContactId: string;
  /** arn:aws:connect:<region>:<account>:instance/<InstanceId> */
  InstanceARN: string;
  InstanceId: string;
  /** SystemEndpoint.Address: the number the customer dialed (E.164). */
  dialedNumber: string;
  /** CustomerEndpoint.Address as given. Personal data: redact before logging. */
  customerNumber: string;
  /** ISO time registered. */
  registeredAt: string;
}

/** Digits of a phone number or SIP user part ("+1 555-0100" -> "15550100"). */
export function numberKey(value: string): string {
  return value.replace(/\D/g, '');
}

const byNumbers = (dialed: string, caller: string) => ({ pk: `contact#num#${numberKey(dialed)}#${numberKey(caller)}`, sk: 'contact' });
const byId = (contactId: string) => ({ pk: `contact#id#${contactId}`, sk: 'contact' });
const bound = (vendor: string, contactId: string) => ({ pk: `contact#bound#${vendor}#${contactId}`, sk: 'call' });

/**
 * Writes the registration under both keys, expiring `ttlSeconds` (s) from `now` (ms).
 * @throws WriteLostError when the writes could not be done within 5 s.
 */
export async function registerContact(
  store: Store,
  reg: ContactRegistration,
  ttlSeconds = CONTACT_REGISTRATION_TTL_SECONDS,
  now = Date.now(),
): Promise<void> {
  const expiresAt = Math.floor(now / 1000) + ttlSeconds;
  const item = { ...reg, expiresAt };
  // Through the write-behind queue (batched together, retried with backoff), awaited: the flow
  // transfers the call right after this returns.
  const queue = writeQueueFor(store);
  const w = { family: 'contact' as const, priority: WRITE_PRIORITY.contact, deadlineMs: REGISTRATION_WRITE_DEADLINE_MS };
  await Promise.all([queue.put({ ...byNumbers(reg.dialedNumber, reg.customerNumber), ...item }, w), queue.put({ ...byId(reg.ContactId), ...item }, w)]);
}

type StoredRegistration = ContactRegistration & { pk: string; sk: string; expiresAt: number };

async function read(store: Store, Key: { pk: string; sk: string }, now: number): Promise<ContactRegistration | undefined> {
  const r = await store.doc.send(new GetCommand({ TableName: store.table, Key, ConsistentRead: true }));
  const item = r.Item as StoredRegistration | undefined;
  // DynamoDB deletes TTL items lazily, so expiry is checked here.
  if (!item || item.expiresAt * 1000 < now) return undefined;
  const { pk: _pk, sk: _sk, expiresAt: _e, ...reg } = item;
  return reg;
}

/** The registration of `contactId` (the primary path), or undefined when none or expired. */
export function findContactById(store: Store, contactId: string, now = Date.now()): Promise<ContactRegistration | undefined> {
  return read(store, byId(contactId), now);
}

/**
 * The latest registration for (dialed, caller) numbers: the opt-in fallback. Not proof of
 * identity (see the file comment); callers label and count its use.
 */
export function findContactByNumbers(store: Store, calledNumber: string, callerNumber: string, now = Date.now()): Promise<ContactRegistration | undefined> {
  return read(store, byNumbers(calledNumber, callerNumber), now);
}

/** What the media core knows from the INVITE. */
export interface ContactLookup {
  /** Request-URI user (the flow's ToUser = dialed number). */
  calledNumber: string;
  /** From user (the flow's FromUser = customer number). */
  callerNumber: string;
  /** A contact id already authenticated (from a verified token). */
  contactId?: string;
}

/**
 * By contact id when given, else by the (called, caller) numbers.
 * @returns the registration, or undefined when none or expired.
 */
export async function findRegisteredContact(store: Store, lookup: ContactLookup, now = Date.now()): Promise<ContactRegistration | undefined> {
  if (lookup.contactId) {
    const reg = await findContactById(store, lookup.contactId, now);
    if (reg) return reg;
  }
  return findContactByNumbers(store, lookup.calledNumber, lookup.callerNumber, now);
}

/**
 * Binds `contactId` of `vendor` to the SIP Call-ID `callId` (conditional put): the first call
 * wins, the same Call-ID may bind again (a retransmitted INVITE), any other Call-ID is refused.
 * The binding expires `ttlSeconds` (s) after `now` (ms); keep it at least the token's lifetime.
 * @returns true when bound to `callId`, false when another call holds the contact.
 * @throws the DynamoDB error for anything but the condition failing.
 */
export async function bindContactToCall(
  store: Store,
  o: { vendor: string; contactId: string; callId: string; ttlSeconds: number },
  now = Date.now(),
): Promise<boolean> {
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...bound(o.vendor, o.contactId), callId: o.callId, boundAt: new Date(now).toISOString(), expiresAt: Math.floor(now / 1000) + o.ttlSeconds },
        ConditionExpression: 'attribute_not_exists(pk) OR callId = :callId OR expiresAt < :nowS',
        ExpressionAttributeValues: { ':callId': o.callId, ':nowS': Math.floor(now / 1000) },
      }),
    );
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}
