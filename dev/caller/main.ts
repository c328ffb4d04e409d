/**
 * `npm run call -- --to <number> [--dtmf 0] [--say "I want to speak to an agent"]`:
 * places a real SIP call to the media core with SIPp (dev/sipp/scenarios/caller-uac.xml), as the called
 * number's contact center would (vendor INVITE headers), prints the SIP ladder, and says where
 * the call ended: from the contact-center sandboxes (Amazon Connect, NICE CXone), from the
 * REFER / BYE seen on the ladder (SIP trunk), or, for Twilio Flex, by playing Twilio's part
 * (signed receive-call webhook, then the INVITE to its <Sip> URI, then the signed
 * refer-handler webhook with the REFER's Refer-To). Bounded by --timeout (60 s).
 */
import { join } from 'node:path';
import { parseCallArgs, UsageError, USAGE, type CallOptions } from './call-args.ts';
import { verdict } from './call-verdict.ts';
import { placeCall } from './place-call.ts';
import { MissingPrerequisitesError } from '../stack/prerequisites.ts';
import { REPO_ROOT } from '../repo-root.ts';
import { outcomeLines } from './sandbox-outcome.ts';
import { redactKey } from '../../lib/redact.ts';
import { readStackInfo } from '../stack/stack-info.ts';
import { screenPopLine } from './screen-pop-line.ts';
import type { TwilioEmulation } from './twilio-emulation.ts';
import { VENDOR_NAME, vendorForNumber } from './vendor-route.ts';
import { vendorOf } from '../../adapters/registry.ts';

const out = (line = '') => process.stdout.write(`${line}\n`);

/**
 * Twilio's side for a Twilio Flex number: TWILIO_AUTH_TOKEN + PUBLIC_BASE_URL from the
 * environment, else the fake per-run values `npm start` left for this SIP port (stack-info.ts).
 */
function twilioEmulation(o: CallOptions): TwilioEmulation | undefined {
  const env = process.env;
  if (env.TWILIO_AUTH_TOKEN && env.PUBLIC_BASE_URL) {
    return { authToken: env.TWILIO_AUTH_TOKEN, publicBaseUrl: env.PUBLIC_BASE_URL, accountSid: env.TWILIO_ACCOUNT_SID || `AC${'0'.repeat(32)}` };
  }
  return readStackInfo(o.port)?.twilio;
}

async function run(o: CallOptions): Promise<number> {
  const vendor = vendorForNumber(o.to, process.env.CONFIG_FILE ?? join(REPO_ROOT, 'media-core/config/demo.json'));
  const twilio = vendor === 'twilio_flex' ? twilioEmulation(o) : undefined;
  if (vendor === 'twilio_flex' && !twilio) {
    out(`note: Twilio's webhooks are not emulated (no npm start on SIP port ${o.port}, and TWILIO_AUTH_TOKEN/PUBLIC_BASE_URL unset); calling the media core directly`);
  }
  const what = [o.dtmf && `DTMF ${o.dtmf}`, o.say && `saying "${o.say}"`].filter(Boolean).join(' then ') || 'no input';
  let call;
  try {
    call = await placeCall({
      ...o,
      twilio,
      contactTokens: vendorOf(vendor).route === 'lambda' ? readStackInfo(o.port)?.contactTokens : undefined,
      onStart: ({ calledUser, contactId, sipUri }) => {
        if (twilio && sipUri) out(`Twilio: POST ${twilio.publicBaseUrl}/twilio/receive-call (signed, Called=${o.to}) -> 200 <Dial answerOnBridge="true" referUrl=…><Sip>${sipUri}</Sip>`);
        out(`Calling ${calledUser} (${VENDOR_NAME[vendor]}) at ${o.host}:${o.port} over ${o.transport.toUpperCase()}${contactId ? `, contact id ${contactId}` : ''}; ${what}; up to ${o.timeoutMs / 1000} s`);
      },
    });
  } catch (err) {
    if (err instanceof MissingPrerequisitesError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  for (const note of call.notes) out(`note: ${note}`);
  out('');
  out('SIP ladder:');
  // The adapter's request to the contact center goes between the lines, at its time.
  const t0 = call.messages[0]?.at ?? 0;
  const outcomes = call.ids.contactId && t0 ? outcomeLines(call.sandboxEvents, vendor, call.ids.contactId, (k) => redactKey(k) ?? '') : [];
  call.ladder.forEach((line, i) => {
    while (outcomes.length && outcomes[0]!.at <= call.messages[i]!.at) {
      const o = outcomes.shift()!;
      out(`${`+${((o.at - t0) / 1000).toFixed(3)}s`.padStart(9)}  ${o.text}`);
    }
    out(line);
  });
  for (const o of outcomes) out(`${`+${((o.at - t0) / 1000).toFixed(3)}s`.padStart(9)}  ${o.text}`);
  if (!call.messages.length) out('  (no SIP message was exchanged)');
  if (call.sipp.killed) out(`SIPp was stopped after ${o.timeoutMs / 1000} s`);
  if (call.sipp.errors.length) out(`SIPp reported:\n  ${call.sipp.errors.join('\n  ')}`);
  if (call.twilio?.referHandler) {
    out(`Twilio: POST ${call.twilio.referHandler.url} (signed, ReferTransferTarget = the Refer-To) -> ${call.twilio.referHandler.status}${call.twilio.redirect ? ` <Redirect method="${call.twilio.redirect.method}">` : ''}`);
  }
  out('');
  out(`Call ended after ${((call.endedAt - call.startedAt) / 1000).toFixed(1)} s: ${verdict(vendor, call.sip, call.sandbox, call.twilio?.redirect)}`);
  const key = call.sandbox?.kind === 'queued' ? call.sandbox.sessionHistoryKey : call.sip.kind === 'transferred' ? call.sip.sessionHistoryKey : undefined;
  const issuedBy = vendor === 'twilio_flex' ? "the refer-handler's ScreenPopUrl for the Flex task" : "the CXone script's REST action, POST /nice-cxone/screen-pop-link";
  const issued = call.screenPopUrl ? { url: call.screenPopUrl, by: issuedBy } : undefined;
  if (key) out(screenPopLine(o.screenPopUrl, key, process.env.SCREEN_POP_SECRET || readStackInfo(o.port)?.screenPopSecret, Date.now(), issued));
  return call.sip.kind === 'no-answer' || call.sip.kind === 'rejected' ? 1 : 0;
}

async function main(): Promise<number> {
  let opts: CallOptions;
  try {
    opts = parseCallArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (opts.help) {
    out(USAGE);
    return 0;
  }
  return run(opts);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`npm run call failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
