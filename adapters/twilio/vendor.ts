/**
 * Twilio Flex as a contact center: the call arrives by <Dial><Sip> (functions/twilio/receive-call.ts);
 * a transfer is a REFER to Flex whose Refer-To carries the session history key
 * (twilio.com/docs/voice/api/refer-to-twilio), hang-up and error a BYE.
 */
import { randomBytes } from 'node:crypto';
import type { SipHeader } from '../../events/sip-header.ts';
import { assertSafeHeaders } from '../../events/sip-header.ts';
import { defineVendor, lazyImport } from '../vendor-descriptor.ts';
import { deploy } from './deploy.ts';
import { TwilioFlexSettings } from './settings.ts';
import { translateTransfer } from './translate.ts';

export const twilio = defineVendor({
  id: 'twilio_flex',
  label: 'Twilio Flex',
  settings: TwilioFlexSettings,
  route: 'sip',
  sipTransfer: ({ sip, sessionHistoryKey }, s) => {
    // Checked before the filter: an injected name is refused (error outcome), not silently dropped.
    const headers = assertSafeHeaders(Array.isArray(sip?.transfer_headers) ? (sip.transfer_headers as SipHeader[]) : [], 'external');
    return translateTransfer(sessionHistoryKey, {
      referTo: typeof sip?.uri === 'string' ? sip.uri : s.referUri,
      headers: headers.filter((h) => /^(x-|user-to-user$)/i.test(h.name)),
    });
  },
  hasDefaultTarget: () => true,
  checkConnection: (env) => lazyImport<typeof import('./test-connection.ts')>('./test-connection.ts', import.meta.url).then((m) => m.checkConnection(env)),
  deploy,
  dev: {
    demoNumber: '+15550100002',
    newCallIds: () => ({ contactId: `CA${randomBytes(16).toString('hex')}` }),
    // <Dial><Sip> adds the CallSid (twilio.com/docs/voice/twiml/sip#custom-headers).
    inviteHeaders: (ids) => [`X-Twilio-CallSid: ${ids.contactId}`],
  },
});
