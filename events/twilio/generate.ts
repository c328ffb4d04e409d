/**
 * Writes the sample events in this folder for `serverless invoke local`:
 *   npx tsx events/twilio/generate.ts
 * They are signed with the obviously fake token below over SAMPLE_PUBLIC_BASE_URL, so run with
 *   TWILIO_AUTH_TOKEN=sample-token-not-a-secret PUBLIC_BASE_URL=https://example.execute-api.us-east-1.amazonaws.com \
 *   MEDIA_CORE_SIP_HOST=media.example.com npx serverless invoke local -f twilioReceiveCall -p events/twilio/receive-call.json
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { twilioWebhookEvent, voiceParams } from './webhook-event.ts';

/** Not a secret: the token the sample events are signed with. */
export const SAMPLE_AUTH_TOKEN = 'sample-token-not-a-secret';

const here = dirname(fileURLToPath(import.meta.url));
const refer = (target: string) => voiceParams({ ReferTransferTarget: target, CallStatus: 'in-progress' });
const samples = {
  'receive-call.json': twilioWebhookEvent({ path: '/twilio/receive-call', params: voiceParams(), authToken: SAMPLE_AUTH_TOKEN }),
  'receive-call-base64.json': twilioWebhookEvent({ path: '/twilio/receive-call', params: voiceParams(), authToken: SAMPLE_AUTH_TOKEN, base64: true }),
  'receive-call-forged.json': twilioWebhookEvent({ path: '/twilio/receive-call', params: voiceParams(), authToken: 'some-other-token' }),
  'refer-handler.json': twilioWebhookEvent({
    path: '/twilio/refer-handler',
    params: refer('<sip:queue@flex.twilio.com?X-Watson-Assistant-Session-History-Key=sample-session-key-1>'),
    authToken: SAMPLE_AUTH_TOKEN,
  }),
  'refer-handler-uui-base64.json': twilioWebhookEvent({
    path: '/twilio/refer-handler',
    params: refer(`sip:queue@flex.twilio.com?User-to-User=${Buffer.from('sample-session-key-2').toString('hex')}%3Bencoding%3Dhex`),
    authToken: SAMPLE_AUTH_TOKEN,
    base64: true,
  }),
};
for (const [file, event] of Object.entries(samples)) writeFileSync(join(here, file), `${JSON.stringify(event, null, 2)}\n`);
console.log(`wrote ${Object.keys(samples).length} sample events to ${here}`);
