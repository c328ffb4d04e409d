/** The one-line answer of `npm run call` to "where did the call end?". */
import { redactKey } from '../../lib/redact.ts';
import type { SandboxEnding } from './sandbox-outcome.ts';
import type { SipEnding } from './sip-ladder.ts';
import type { StudioRedirect } from './twilio-emulation.ts';
import { VENDOR_NAME, type CallVendor } from './vendor-route.ts';
import { vendorOf } from '../../adapters/registry.ts';

function describeKey(key: string | undefined): string {
  return key ? `session history key ${redactKey(key)}` : 'no session history key';
}

/**
 * Combines the SIP view (REFER/BYE on the ladder) and, for Amazon Connect and NICE CXone,
 * the sandbox view (the outcome request the adapter made); for Twilio Flex with the webhooks
 * emulated, the refer-handler's `<Redirect>`. The key is shown shortened (redactKey).
 */
export function verdict(vendor: CallVendor, sip: SipEnding, sandbox: SandboxEnding | undefined, twilioRedirect?: StudioRedirect): string {
  if (sip.kind === 'no-answer') return 'not answered (is npm start running? is the host/port right?)';
  if (sip.kind === 'rejected') return `rejected by the media core: ${sip.status} ${sip.reason}`;
  if (sandbox && vendorOf(vendor).route === 'lambda') {
    const api = vendor === 'amazon_connect' ? 'Amazon Connect UpdateContactAttributes SessionHistoryKey' : 'NICE CXone signal p1';
    if (sandbox.kind === 'queued') return `queued for an agent with ${describeKey(sandbox.sessionHistoryKey)} (${api})`;
    if (sandbox.kind === 'hung-up') return `hung up (${api} = "hangup")`;
    if (sandbox.kind === 'failed') return `the ${sandbox.operation} request failed with ${sandbox.status}; the ${VENDOR_NAME[vendor]} flow's error path takes over`;
    return `no ${VENDOR_NAME[vendor]} request was recorded for this contact (${sip.kind === 'hung-up' ? `hung up by the ${sip.by}` : 'transferred by REFER'})`;
  }
  if (sip.kind === 'transferred' && vendor === 'twilio_flex' && twilioRedirect) {
    const key = twilioRedirect.sessionHistoryKey;
    const flow = twilioRedirect.url.replace(/\?.*$/, '');
    return `transferred by REFER to ${sip.target}; Twilio's refer-handler redirected to the Studio flow (${flow}, FlowEvent=${twilioRedirect.flowEvent ?? '?'}) with SessionHistoryKey ${key ? redactKey(key) : '(none)'}`;
  }
  if (sip.kind === 'transferred') {
    const where = vendor === 'twilio_flex' ? 'Twilio Flex (Twilio would call the refer-handler, which sends the caller to the Studio flow)' : sip.target;
    return `transferred by REFER to ${where}, ${describeKey(sip.sessionHistoryKey)}`;
  }
  const headers = Object.entries(sip.headers).map(([k, v]) => `${k}: ${v}`);
  return `hung up by the ${sip.by}${headers.length ? ` with ${headers.join(', ')}` : ''}`;
}

