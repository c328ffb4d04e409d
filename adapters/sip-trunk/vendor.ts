/** The generic SIP trunk as a contact center: outcomes are a REFER or BYE the media core sends itself. */
import { defineVendor } from '../vendor-descriptor.ts';
import { SipTrunkSettings } from './config.ts';
import { translateTransfer } from './translate.ts';

export const sipTrunk = defineVendor({
  id: 'sip_trunk',
  label: 'SIP trunk',
  settings: SipTrunkSettings,
  route: 'sip',
  sipTransfer: ({ sip, sessionHistoryKey, summary }, s) => translateTransfer(sip, sessionHistoryKey, { agentUri: s.agentUri, agentMessageHeader: s.agentMessageHeader }, summary),
  hasDefaultTarget: (s) => !!s.agentUri,
  dev: { demoNumber: '+15550100001' },
});
