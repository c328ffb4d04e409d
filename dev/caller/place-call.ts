/**
 * One call to the media core, placed as the called number's contact center would place it,
 * and everything needed to say where it ended. The engine of `npm run call` (dev/caller/main.ts
 * prints the result) and of the end-to-end tests (they assert on it), so both exercise the
 * same code.
 *
 *   - SIP trunk, Amazon Connect, NICE CXone: SIPp (dev/sipp/scenarios/caller-uac.xml) with the vendor's
 *     INVITE headers (invite-headers.ts), DTMF and/or speech (caller-media.ts).
 *   - Twilio Flex with `twilio` set: first the signed receive-call webhook; the INVITE goes to
 *     the user of the returned <Sip> URI; after a REFER, the signed refer-handler webhook with
 *     ReferTransferTarget = the Refer-To (twilio-emulation.ts).
 *   - Amazon Connect and NICE CXone: the outcome requests the adapters made, from the
 *     sandboxes (GET /_sandbox/events), after a baseline taken before the call.
 *   - The agent's screen-pop link as the contact center got it: Twilio's ScreenPopUrl from the
 *     refer-handler, CXone's from the script's REST action after the transfer signal.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxEvent } from '../sandboxes/types.ts';
import type { CallOptions } from './call-args.ts';
import { buildScenario, mediaDurationMs, mediaSteps, prepareDtmfPcaps, synthesizeSpeech } from './caller-media.ts';
import { connectFlowToken, cxoneMintToken, cxoneScreenPopLink, type ContactTokenEmulation } from './contact-token-emulation.ts';
import { newCallIds, vendorInviteHeaders, type VendorCallIds } from './invite-headers.ts';
import { ESPEAK, MissingPrerequisitesError, missingPrerequisites, SIPP, SOX } from '../stack/prerequisites.ts';
import { REPO_ROOT } from '../repo-root.ts';
import { fetchSandboxEvents, lastSeq, sandboxEnding, type SandboxEnding } from './sandbox-outcome.ts';
import { parseSippTrace, renderLadder, sipEnding, type SipEnding, type TracedMessage } from './sip-ladder.ts';
import { runSipp } from '../sipp/run-sipp.ts';
import { DEMO_CONNECT_INSTANCE_ARN } from '../stack/stack-env.ts';
import { parseDialSip, parseRedirect, postSignedWebhook, twilioVoiceParams, type DialSip, type StudioRedirect, type TwilioEmulation, type WebhookReply } from './twilio-emulation.ts';
import { vendorForNumber, type CallVendor } from './vendor-route.ts';
import { vendorOf } from '../../adapters/registry.ts';

/** What to call and how: the CLI's options (call-args.ts) less its own, plus test hooks. */
export interface PlaceCallOptions extends Omit<CallOptions, 'screenPopUrl' | 'help'> {
  /** Media core config, for the number's vendor (default CONFIG_FILE or the demo config). */
  configFile?: string;
  /** Amazon Connect instance ARN sent in User-to-User (default the demo instance). */
  instanceArn?: string;
  /** Emulate Twilio's webhooks for a Twilio Flex number (skipped when undefined). */
  twilio?: TwilioEmulation;
  /**
   * Obtain the contact token as the Connect flow / CXone script would (skipped when undefined:
   * the INVITE then carries no token, as a forged call would).
   */
  contactTokens?: ContactTokenEmulation;
  /** Send this contact id instead of a fresh one (tests: a forged or replayed contact). */
  contactId?: string;
  /** Send this token instead of minting one (tests: a forged, expired or replayed token). */
  contactToken?: string;
  /**
   * Announce this UDP port as the caller's RTP port in the SDP, so the media core's audio goes
   * to a socket the caller of placeCall reads (SIPp still sends DTMF/speech from its own port).
   */
  rtpSinkPort?: number;
  /** Called just before SIPp starts: the INVITE's called user, the vendor's contact id, the Twilio <Sip> URI. */
  onStart?: (info: { calledUser: string; contactId?: string; sipUri?: string }) => void;
}

export interface TwilioLeg {
  receiveCall: WebhookReply;
  dial?: DialSip;
  referHandler?: WebhookReply;
  redirect?: StudioRedirect;
}

export interface PlacedCall {
  vendor: CallVendor;
  ids: VendorCallIds;
  /** The Request-URI user the INVITE carried. */
  calledUser: string;
  messages: TracedMessage[];
  /** renderLadder(messages). */
  ladder: string[];
  sip: SipEnding;
  /** Amazon Connect / NICE CXone: the outcome the sandbox recorded for this contact. */
  sandbox?: SandboxEnding;
  /** Sandbox events recorded after the baseline (every vendor, every call). */
  sandboxEvents: SandboxEvent[];
  /** Twilio Flex with emulation: the webhooks and their replies. */
  twilio?: TwilioLeg;
  /**
   * The signed screen-pop link the contact center received for a transfer: Twilio Flex's
   * ScreenPopUrl (refer-handler), NICE CXone's from POST /nice-cxone/screen-pop-link
   * (with contactTokens set). Undefined for the other paths.
   */
  screenPopUrl?: string;
  /** SIPp exit code (0: the scenario completed), whether it was killed, its last errors. */
  sipp: { code: number | null; killed: boolean; errors: string[] };
  /** Epoch ms before SIPp started and after everything finished. */
  startedAt: number;
  endedAt: number;
  /** Speech sent: its duration including 0.2 s lead-in and the trailing silence, ms. */
  speechMs?: number;
  /** Where the voice in that speech ends (its last voiced 20 ms frame), from its start, ms. */
  voiceEndMs?: number;
  /** Remarks for the user (sandboxes unreachable, Twilio webhook failed). */
  notes: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The header value of the first message matching `pick`. */
const headerOf = (m: TracedMessage | undefined, name: string) => m?.headers.get(name.toLowerCase())?.[0];

/**
 * Places the call and resolves when it has ended (or SIPp gave up after timeoutMs).
 * @throws MissingPrerequisitesError when sipp (or espeak-ng/sox for `say`) is not installed.
 */
export async function placeCall(o: PlaceCallOptions): Promise<PlacedCall> {
  const missing = missingPrerequisites([SIPP, ...(o.say ? [ESPEAK, SOX] : [])]);
  if (missing.length) throw new MissingPrerequisitesError(missing);
  const configFile = o.configFile ?? process.env.CONFIG_FILE ?? join(REPO_ROOT, 'media-core/config/demo.json');
  const vendor = vendorForNumber(o.to, configFile);
  const ids = newCallIds(vendor, o.instanceArn ?? DEMO_CONNECT_INSTANCE_ARN);
  if (o.contactId) ids.contactId = o.contactId;
  const notes: string[] = [];
  const workDir = mkdtempSync(join(tmpdir(), 'npm-call-'));
  const startedAt = Date.now();
  try {
    let sinceSeq: number | undefined;
    try {
      sinceSeq = lastSeq(await fetchSandboxEvents(o.sandboxUrl));
    } catch (err) {
      if (vendorOf(vendor).route === 'lambda') {
        notes.push(`the sandboxes at ${o.sandboxUrl} do not answer (${(err as Error).message}); the result comes from SIP only`);
      }
    }

    let calledUser = o.to;
    let twilio: TwilioLeg | undefined;
    if (vendor === 'twilio_flex' && o.twilio) {
      const params = twilioVoiceParams({ accountSid: o.twilio.accountSid, callSid: ids.contactId!, called: o.to, caller: o.from });
      const receiveCall = await postSignedWebhook(`${o.twilio.publicBaseUrl.replace(/\/+$/, '')}/twilio/receive-call`, params, o.twilio.authToken);
      const dial = receiveCall.status === 200 ? parseDialSip(receiveCall.body) : undefined;
      twilio = { receiveCall, dial };
      if (!dial) {
        notes.push(`Twilio's receive-call webhook answered ${receiveCall.status} without <Dial><Sip>: ${receiveCall.body.slice(0, 200)}`);
        return { vendor, ids, calledUser, messages: [], ladder: [], sip: { kind: 'no-answer' }, sandboxEvents: [], twilio, sipp: { code: null, killed: false, errors: [] }, startedAt, endedAt: Date.now(), notes };
      }
      calledUser = dial.user;
    }

    if (o.contactToken) ids.contactToken = o.contactToken;
    else if (o.contactTokens && ids.contactId && vendorOf(vendor).route === 'lambda') {
      try {
        ids.contactToken =
          vendor === 'amazon_connect'
            ? (await connectFlowToken(o.contactTokens, { contactId: ids.contactId, instanceArn: ids.instanceArn!, dialed: o.to, caller: o.from })).contactToken
            : await cxoneMintToken(o.contactTokens, ids.contactId);
      } catch (err) {
        notes.push(`no contact token (${(err as Error).message}); the media core will refuse the call`);
      }
    }

    const speech = o.say ? await synthesizeSpeech(o.say, workDir) : undefined;
    let scenario = buildScenario(readFileSync(join(REPO_ROOT, 'dev/sipp/scenarios/caller-uac.xml'), 'utf8'), {
      headers: vendorInviteHeaders(vendor, ids),
      media: mediaSteps({ afterMs: o.afterMs, dtmf: o.dtmf, speech, pcapFiles: prepareDtmfPcaps(o.dtmf, workDir) }),
      waitEndMs: o.timeoutMs - mediaDurationMs({ afterMs: o.afterMs, dtmf: o.dtmf, speech }) - 5000,
    });
    if (o.rtpSinkPort !== undefined) scenario = scenario.replace('m=audio [media_port] ', `m=audio ${o.rtpSinkPort} `);
    const scenarioFile = join(workDir, 'call.xml');
    writeFileSync(scenarioFile, scenario);
    o.onStart?.({ calledUser, contactId: ids.contactId, sipUri: twilio?.dial?.sipUri });

    const result = await runSipp({
      scenario: scenarioFile,
      dir: workDir,
      targetHost: o.host,
      targetPort: o.port,
      transport: o.transport === 'tcp' ? 't1' : 'u1',
      keys: { to: calledUser, caller: o.from },
      timeoutS: Math.ceil(o.timeoutMs / 1000),
    });
    const messages = parseSippTrace(result.messages);
    const errors =
      result.code !== 0
        ? result.errors.split('\n').filter((l) => /^\d{4}-\d{2}-\d{2}/.test(l)).slice(-3).map((l) => l.replace(/^\S+\s+\S+\s+\S+:\s*/, '').slice(0, 200))
        : [];
    const sip = sipEnding(messages);

    if (twilio && sip.kind === 'transferred') {
      // Twilio calls the referUrl of the <Dial> with the Refer-To as it arrived.
      const refer = messages.find((m) => m.direction === 'received' && m.method === 'REFER');
      const referTo = headerOf(refer, 'refer-to') ?? '';
      const params = twilioVoiceParams({ accountSid: o.twilio!.accountSid, callSid: ids.contactId!, called: o.to, caller: o.from }, { ReferTransferTarget: referTo });
      const url = twilio.dial?.referUrl ?? `${o.twilio!.publicBaseUrl.replace(/\/+$/, '')}/twilio/refer-handler`;
      twilio.referHandler = await postSignedWebhook(url, params, o.twilio!.authToken);
      twilio.redirect = twilio.referHandler.status === 200 ? parseRedirect(twilio.referHandler.body) : undefined;
      if (!twilio.redirect) notes.push(`Twilio's refer-handler webhook answered ${twilio.referHandler.status} without <Redirect>: ${twilio.referHandler.body.slice(0, 200)}`);
    }

    let sandbox: SandboxEnding | undefined;
    let sandboxEvents: SandboxEvent[] = [];
    if (sinceSeq !== undefined && sip.kind !== 'no-answer' && sip.kind !== 'rejected') {
      const usesSandbox = vendorOf(vendor).route === 'lambda' && ids.contactId;
      // The adapter writes before the BYE, so the event is normally there already; allow a short settle.
      for (let i = 0; i < 10; i++) {
        try {
          sandboxEvents = (await fetchSandboxEvents(o.sandboxUrl)).filter((e) => e.seq > sinceSeq!);
        } catch {
          break;
        }
        if (!usesSandbox) break;
        sandbox = sandboxEnding(sandboxEvents, vendor, ids.contactId!, sinceSeq);
        if (sandbox.kind !== 'none') break;
        await sleep(300);
      }
    }
    let screenPopUrl = twilio?.redirect?.screenPopUrl;
    if (vendor === 'nice_cxone' && o.contactTokens && sandbox?.kind === 'queued' && sandbox.sessionHistoryKey) {
      try {
        screenPopUrl = await cxoneScreenPopLink(o.contactTokens, sandbox.sessionHistoryKey);
      } catch (err) {
        notes.push(`no screen-pop link from the CXone REST action (${(err as Error).message})`);
      }
    }
    return {
      vendor,
      ids,
      calledUser,
      messages,
      ladder: renderLadder(messages),
      sip,
      sandbox,
      sandboxEvents,
      twilio,
      screenPopUrl,
      sipp: { code: result.code, killed: result.killed, errors },
      startedAt,
      endedAt: Date.now(),
      speechMs: speech?.durationMs,
      voiceEndMs: speech?.voiceEndMs,
      notes,
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
