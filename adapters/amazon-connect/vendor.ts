/**
 * Amazon Connect as a contact center: the flow transfers the call to the media core's number
 * through a Chime SDK Voice Connector; outcomes are contact attributes written by the outcome
 * function (UpdateContactAttributes), then a BYE returns the call to the flow.
 */
import { randomUUID } from 'node:crypto';
import { AmazonConnectContext } from '../../events/outcome.ts';
import { defineVendor, lambdaRoute } from '../vendor-descriptor.ts';
import { deploy } from './deploy.ts';
import { findConnectContact } from './contact.ts';
import { AmazonConnectSettings } from './settings.ts';

export const amazonConnect = defineVendor({
  id: 'amazon_connect',
  label: 'Amazon Connect',
  settings: AmazonConnectSettings,
  context: AmazonConnectContext,
  ...lambdaRoute(import.meta.url, { checkConnection: true }),
  findContact: findConnectContact,
  deploy,
  dev: {
    demoNumber: '+15550100003',
    newCallIds: (instanceArn) => ({ contactId: randomUUID(), instanceArn }),
    // The token hex encoded as the Chime SDK shows it (RFC 7433 `;encoding=hex`). The contact id
    // header names are unconfirmed (seen in other projects' source, not in AWS documentation);
    // informative only, the media core trusts the token.
    inviteHeaders: (ids) => [
      ...(ids.contactToken ? [`User-to-User: ${Buffer.from(ids.contactToken, 'ascii').toString('hex')};encoding=hex`] : []),
      `X-Amzn-ConnectContactId: ${ids.contactId}`,
      `X-Amzn-ConnectInitialContactId: ${ids.contactId}`,
    ],
    isOutcomeRequest: (e, contactId) => e.vendor === 'amazon_connect' && e.operation === 'UpdateContactAttributes' && e.params.InitialContactId === contactId,
  },
});
