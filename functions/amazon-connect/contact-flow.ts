/**
 * Lambda invoked by the Amazon Connect flow (InvokeLambdaFunction, ContactFlowEvent): registers
 * the contact for the media core (lib/store/contact-registry.ts) and returns the screen-pop
 * attributes as a flat string map. Must answer within Amazon Connect's 8 s; a store failure
 * is logged and the attributes are still returned so the flow goes on.
 */
import middy from '@middy/core';
import { functionMetrics } from '../middleware/metrics.ts';
import type { ConnectContactFlowEvent, ConnectContactFlowResult } from 'aws-lambda';
// Not the folder's index: this function must not load the Connect API client (cold start).
import { loadAmazonConnectConfig } from '../../adapters/amazon-connect/config.ts';
import { registrationFromFlowEvent, screenPopAttributes } from '../../adapters/amazon-connect/contact-flow.ts';
import { registerContact } from '../../lib/store/contact-registry.ts';
import { getStore } from '../../lib/store/client.ts';
import { createLogger } from '../../lib/log.ts';
import { redactNumber } from '../../lib/redact.ts';

const log = createLogger('amazon-connect-contact-flow');

async function contactFlow(event: ConnectContactFlowEvent): Promise<ConnectContactFlowResult> {
  const config = loadAmazonConnectConfig();
  const reg = registrationFromFlowEvent(event);
  let registered = 'false';
  if ('error' in reg) {
    log.warn({ error: reg.error }, 'contact not registered');
  } else {
    try {
      await registerContact(getStore(), reg, config.CONTACT_REGISTRATION_TTL_SECONDS);
      registered = 'true';
      log.info({ contactId: reg.ContactId, dialed: reg.dialedNumber, caller: redactNumber(reg.customerNumber) }, 'contact registered');
    } catch (err) {
      log.error({ err: (err as Error).message, contactId: reg.ContactId }, 'contact registration failed');
    }
  }
  return { registered, ...screenPopAttributes(event, config.AGENT_SCREEN_POP_BASE_URL) };
}

export const handler = middy<ConnectContactFlowEvent, ConnectContactFlowResult>().use(functionMetrics('amazon-connect.contact-flow').middleware).handler(contactFlow);
