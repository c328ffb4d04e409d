/**
 * The Amazon Connect contact of an inbound INVITE. User-to-User holds the contact token (the
 * flow's Lambda minted it and the Transfer to phone number block set it as
 * UserToUserInformation; the Voice Connector sends it hex encoded with `;encoding=hex`,
 * docs.aws.amazon.com/chime-sdk/latest/dg/sip-headers.html). The token's ContactId leads to
 * the flow's registration (lib/store/contact-registry.ts), which gives InitialContactId; the
 * instance comes from configuration (`instanceArn`), and a registration naming another
 * instance is refused. Opt-in fallback (`numberMatchFallback`, off by default): the latest
 * registration for (dialed number, caller number).
 */
import type { AmazonConnectContext } from '../../events/outcome.ts';
import { findHeader } from '../../events/sip-header.ts';
import { findContactById, findContactByNumbers, type ContactRegistration } from '../../lib/store/contact-registry.ts';
import type { ContactDecision, ContactTools, ContactVia, InviteInfo } from '../vendor-descriptor.ts';
import { connectTokenVendor } from './contact-id.ts';
import type { AmazonConnectSettings } from './settings.ts';
import { instanceIdFromArn } from './translate.ts';

/** Decodes a User-to-User value: `<hex>;encoding=hex` -> text; otherwise the part before ";" (RFC 7433). */
export function decodeUui(value: string): string {
  const [data = '', ...params] = value.split(';').map((s) => s.trim());
  const enc = params.find((p) => /^encoding=/i.test(p))?.split('=')[1]?.toLowerCase();
  if (enc === 'hex' && /^([0-9a-f]{2})+$/i.test(data)) return Buffer.from(data, 'hex').toString('utf8');
  return data;
}

const accepted = (amazonConnect: AmazonConnectContext, via: ContactVia, contactId: string): ContactDecision => ({ ok: true, contact: { vendor: 'amazon_connect', outcome: { amazonConnect }, via, contactId } });

/** Finds and verifies the contact of `invite`. @throws on a store failure (the caller refuses the call). */
export async function findConnectContact(invite: InviteInfo, s: AmazonConnectSettings, tools: ContactTools): Promise<ContactDecision> {
  const uui = findHeader(invite.inviteHeaders, 'User-to-User');
  const t = await tools.verifyToken(connectTokenVendor, uui ? decodeUui(uui) : undefined);
  const configured = s.instanceArn ? instanceIdFromArn(s.instanceArn) : undefined;
  const contextFor = (reg: ContactRegistration | undefined, contactId: string): AmazonConnectContext | string => {
    if (reg && s.instanceArn && reg.InstanceARN !== s.instanceArn) return 'the registration names another Connect instance than instanceArn';
    const InstanceId = configured ?? reg?.InstanceId;
    const InstanceARN = s.instanceArn ?? reg?.InstanceARN;
    if (!InstanceId) return 'no instance: set instanceArn (no flow registration found)';
    return { InstanceId, InstanceARN, InitialContactId: reg?.InitialContactId ?? contactId };
  };
  if (t.ok) {
    if (!(await tools.bind('amazon_connect', t.contactId))) return { ok: false, reason: 'token already bound to another call' };
    const reg = tools.store ? await findContactById(tools.store, t.contactId, tools.now()) : undefined;
    const ctx = contextFor(reg, t.contactId);
    return typeof ctx === 'string' ? { ok: false, reason: ctx } : accepted(ctx, 'token', t.contactId);
  }
  if (s.numberMatchFallback && tools.store) {
    const reg = await findContactByNumbers(tools.store, invite.calledUser, invite.callerUser, tools.now());
    if (reg) {
      const ctx = contextFor(reg, reg.ContactId);
      if (typeof ctx === 'string') return { ok: false, reason: ctx };
      if (!(await tools.bind('amazon_connect', reg.ContactId))) return { ok: false, reason: 'the matched contact is bound to another call' };
      return accepted(ctx, 'number_match', reg.ContactId);
    }
  }
  return { ok: false, reason: `contact token ${t.reason}` };
}
