/**
 * The NICE CXone contact of an inbound INVITE: X-ContactID (the script's Sipputheader) plus
 * X-Contact-Token, which the script obtained from the mint endpoint
 * (functions/nice-cxone/contact-token.ts); the token must name the same contact id. Opt-in
 * weaker mode (`trustContactIdHeader`): X-ContactID alone.
 */
import { findHeader } from '../../events/sip-header.ts';
import { cxoneTokenVendor, isCxoneContactId } from './contact-id.ts';
import type { ContactDecision, ContactTools, InviteInfo } from '../vendor-descriptor.ts';
import type { NiceCxoneSettings } from './settings.ts';

/** The header carrying the CXone contact token (set by the script's Sipputheader). */
export const CXONE_TOKEN_HEADER = 'X-Contact-Token';

/** Finds and verifies the contact of `invite`. @throws on a store failure (the caller refuses the call). */
export async function findCxoneContact(invite: InviteInfo, s: NiceCxoneSettings, tools: ContactTools): Promise<ContactDecision> {
  const id = findHeader(invite.inviteHeaders, 'X-ContactID')?.trim();
  if (!id) return { ok: false, reason: 'no X-ContactID header' };
  if (!isCxoneContactId(id)) return { ok: false, reason: 'X-ContactID is not a CXone contact id (digits)' };
  const t = await tools.verifyToken(cxoneTokenVendor, findHeader(invite.inviteHeaders, CXONE_TOKEN_HEADER)?.trim());
  if (t.ok && t.contactId !== id) return { ok: false, reason: 'the contact token names another contact than X-ContactID' };
  if (!t.ok && !s.trustContactIdHeader) return { ok: false, reason: `contact token ${t.reason}` };
  if (!(await tools.bind('nice_cxone', id))) return { ok: false, reason: 'contact already bound to another call' };
  return { ok: true, contact: { vendor: 'nice_cxone', outcome: { niceCxone: { ContactId: id } }, via: t.ok ? 'token' : 'header_only', contactId: id } };
}
