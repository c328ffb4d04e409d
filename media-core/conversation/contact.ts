/**
 * Which contact-center contact a call belongs to, for the amazon_connect and nice_cxone
 * outcomes:
 * - Amazon Connect: the Voice Connector INVITE's User-to-User is the instance ARN (plain,
 *   or hex with `;encoding=hex`); the contact id comes from X-Amzn-ConnectInitialContactId /
 *   X-Amzn-ConnectContactId (unconfirmed headers, vendor-facts.md), else from the
 *   registration the flow-invoked Lambda made (lib/store/contact-registry.ts).
 * - NICE CXone: X-ContactID (set by the script's Sipputheader).
 */
import type { AmazonConnectContext, NiceCxoneContext } from '../../events/outcome.ts';
import type { Store } from '../../lib/store/client.ts';
import { findRegisteredContact } from '../../lib/store/contact-registry.ts';
import { findHeader, type CallInfo } from '../call/types.ts';

/** Decodes a User-to-User value: `<hex>;encoding=hex` -> text; otherwise the part before ";". */
export function decodeUui(value: string): string {
  const [data = '', ...params] = value.split(';').map((s) => s.trim());
  const enc = params.find((p) => /^encoding=/i.test(p))?.split('=')[1]?.toLowerCase();
  if (enc === 'hex' && /^([0-9a-f]{2})+$/i.test(data)) return Buffer.from(data, 'hex').toString('utf8');
  return data;
}

/** Instance id from an instance ARN (arn:aws:connect:region:account:instance/<id>). */
export function instanceIdFromArn(arn: string): string | undefined {
  const m = /^arn:aws[\w-]*:connect:[^:]*:[^:]*:instance\/([^/\s]+)/.exec(arn);
  return m?.[1];
}

/** The Amazon Connect contact of a call, or undefined when it cannot be determined. */
export async function amazonConnectContact(info: CallInfo, store: Store | undefined): Promise<AmazonConnectContext | undefined> {
  const h = info.inviteHeaders;
  const uui = findHeader(h, 'User-to-User');
  const arn = uui ? decodeUui(uui) : undefined;
  const instanceId = arn ? instanceIdFromArn(arn) : undefined;
  const initial = findHeader(h, 'X-Amzn-ConnectInitialContactId') ?? findHeader(h, 'X-Amzn-ConnectContactId');
  if (instanceId && initial) return { InstanceId: instanceId, InstanceARN: arn, InitialContactId: initial };
  if (!store) return undefined;
  const reg = await findRegisteredContact(store, { calledNumber: info.calledUser, callerNumber: info.callerUser, contactId: findHeader(h, 'X-Amzn-ConnectContactId') });
  if (!reg) return undefined;
  return { InstanceId: reg.InstanceId, InstanceARN: reg.InstanceARN, InitialContactId: reg.InitialContactId };
}

/** The NICE CXone contact of a call, from X-ContactID. */
export function niceCxoneContact(info: CallInfo): NiceCxoneContext | undefined {
  const id = findHeader(info.inviteHeaders, 'X-ContactID')?.trim();
  return id && id.length <= 64 ? { ContactId: id } : undefined;
}
