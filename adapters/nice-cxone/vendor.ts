/**
 * NICE CXone as a contact center: the script places the call to the media core with
 * X-ContactID and X-Contact-Token (Sipputheader); outcomes are a signal to the contact (p1 =
 * session history key or "hangup") sent by the outcome function, then a BYE.
 */
import { randomInt } from 'node:crypto';
import { NiceCxoneContext } from '../../events/outcome.ts';
import { defineVendor, lambdaRoute } from '../vendor-descriptor.ts';
import { deploy } from './deploy.ts';
import { CXONE_TOKEN_HEADER, findCxoneContact } from './contact.ts';
import { NiceCxoneSettings } from './settings.ts';

export const niceCxone = defineVendor({
  id: 'nice_cxone',
  label: 'NICE CXone',
  settings: NiceCxoneSettings,
  context: NiceCxoneContext,
  ...lambdaRoute(import.meta.url, { checkConnection: true }),
  findContact: findCxoneContact,
  deploy,
  dev: {
    demoNumber: '+15550100004',
    // CXone contact ids are integers (ContactId in Studio).
    newCallIds: () => ({ contactId: String(randomInt(100_000_000, 999_999_999)) + String(randomInt(100, 999)) }),
    inviteHeaders: (ids) => [`X-ContactID: ${ids.contactId}`, ...(ids.contactToken ? [`${CXONE_TOKEN_HEADER}: ${ids.contactToken}`] : [])],
    isOutcomeRequest: (e, contactId) => e.vendor === 'nice_cxone' && e.operation === 'signal' && String(e.params.contactId) === contactId,
  },
});
