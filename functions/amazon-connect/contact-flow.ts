/**
 * Lambda invoked by the Amazon Connect flow (InvokeLambdaFunction, ContactFlowEvent): registers
 * the contact for the media core (lib/store/contact-registry.ts), mints the contact token the
 * flow sets as User-to-User on its Transfer to phone number block (lib/contact-token.ts), and
 * returns the screen-pop attributes, as a flat string map. Must answer within Amazon Connect's
 * 8 s; a store or secret failure is logged and the attributes are still returned so the flow
 * goes on (without a token the media core refuses the call and the flow's error branch takes it).
 */
import middy from '@middy/core';
import { functionMetrics } from '../middleware/metrics.ts';
import type { ConnectContactFlowEvent, ConnectContactFlowResult } from 'aws-lambda';
// Not the folder's index: this function must not load the Connect API client (cold start).
import { loadAmazonConnectConfig } from '../../adapters/amazon-connect/config.ts';
import { registrationFromFlowEvent, screenPopAttributes } from '../../adapters/amazon-connect/contact-flow.ts';
import { connectTokenVendor } from '../../adapters/amazon-connect/contact-id.ts';
import { loadScreenPopEnv, screenPopSecret } from '../../adapters/agent-view/config.ts';
import { contactTokenSecretLoader } from '../../adapters/common/contact-token-secret.ts';
import { mintContactToken } from '../../lib/contact-token.ts';
import { registerContact } from '../../lib/store/contact-registry.ts';
import { getStore } from '../../lib/store/client.ts';
import { createLogger } from '../../lib/log.ts';
import { redactNumber } from '../../lib/redact.ts';

const log = createLogger('amazon-connect-contact-flow');
let secret: (() => Promise<string>) | undefined;

async function contactFlow(event: ConnectContactFlowEvent): Promise<ConnectContactFlowResult> {
  const config = loadAmazonConnectConfig();
  const reg = registrationFromFlowEvent(event);
  let registered = 'false';
  let contactToken = '';
  if ('error' in reg) {
    log.warn({ error: reg.error }, 'contact not registered');
  } else {
    const [stored, minted] = await Promise.allSettled([
      registerContact(getStore(), reg, config.CONTACT_REGISTRATION_TTL_SECONDS),
      (async () => {
        secret ??= contactTokenSecretLoader();
        return mintContactToken({ vendor: connectTokenVendor, contactId: reg.ContactId, secret: await secret(), ttlSeconds: config.CONTACT_TOKEN_TTL_SECONDS }).token;
      })(),
    ]);
    if (stored.status === 'fulfilled') {
      registered = 'true';
      log.info({ contactId: reg.ContactId, dialed: reg.dialedNumber, caller: redactNumber(reg.customerNumber) }, 'contact registered');
    } else {
      log.error({ err: (stored.reason as Error).message, contactId: reg.ContactId }, 'contact registration failed');
    }
    if (minted.status === 'fulfilled') contactToken = minted.value;
    else {
      secret = undefined;
      log.error({ err: (minted.reason as Error).message, contactId: reg.ContactId }, 'contact token not minted');
    }
  }
  return { registered, contactToken, ...screenPopAttributes(event, config.AGENT_SCREEN_POP_BASE_URL, await linkSettings()) };
}

/** The signed link's secret and validity; undefined (no screenPopURL) when not configured. */
async function linkSettings(): Promise<{ secret: string; ttlSeconds: number } | undefined> {
  try {
    const e = loadScreenPopEnv();
    return { secret: await screenPopSecret(e), ttlSeconds: e.SCREEN_POP_LINK_TTL_SECONDS };
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'screen pop link secret unavailable; no screenPopURL');
    return undefined;
  }
}

export const handler = middy<ConnectContactFlowEvent, ConnectContactFlowResult>().use(functionMetrics('amazon-connect.contact-flow').middleware).handler(contactFlow);
