/**
 * Amazon Connect contact registrations (item family `contact#...` / sk `contact`, see
 * client.ts). The flow-invoked Lambda registers the contact just before the flow's
 * "Transfer to phone number" block sends the call to the media core through the Chime
 * Voice Connector; the media core then finds the contact from the INVITE:
 *
 * - by numbers: pk `contact#num#<dialed digits>#<caller digits>`. The flow transfers with
 *   ToUser = Dialed Number (the INVITE's Request-URI user) and FromUser = Customer Number
 *   (the From user), so those two identify the call. Only digits are kept in the key
 *   because SIP user parts may drop the leading "+".
 * - by id: pk `contact#id#<ContactId>`, for INVITEs carrying X-Amzn-ConnectContactId.
 *
 * Registrations live a short time (default 600 s): the INVITE follows the flow block within
 * seconds. The same caller calling the same number twice within that time keeps the latest
 * registration (the later put replaces the earlier). The caller number is stored as given
 * (needed for matching) and must never be logged unredacted (lib/redact.ts).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
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

/** What the media core knows from the INVITE. */
export interface ContactLookup {
  /** Request-URI user (the flow's ToUser = dialed number). */
  calledNumber: string;
  /** From user (the flow's FromUser = customer number). */
  callerNumber: string;
  /** X-Amzn-ConnectContactId, when the INVITE carries it. */
  contactId?: string;
}

/**
 * Finds the contact a Voice Connector INVITE belongs to: by contact id first when given,
 * else by the (called, caller) numbers.
 * @returns the registration, or undefined when none or expired (DynamoDB deletes TTL items lazily, so expiry is checked here).
 */
export async function findRegisteredContact(store: Store, lookup: ContactLookup, now = Date.now()): Promise<ContactRegistration | undefined> {
  const keys = [...(lookup.contactId ? [byId(lookup.contactId)] : []), byNumbers(lookup.calledNumber, lookup.callerNumber)];
  for (const Key of keys) {
    const r = await store.doc.send(new GetCommand({ TableName: store.table, Key }));
    const item = r.Item as (ContactRegistration & { pk: string; sk: string; expiresAt: number }) | undefined;
    if (!item || item.expiresAt * 1000 < now) continue;
    const { pk: _pk, sk: _sk, expiresAt: _e, ...reg } = item;
    return reg;
  }
  return undefined;
}
