/**
 * `npm run call -- --to <number> [--dtmf 0] [--say "I want to speak to an agent"]`:
 * places a real SIP call to the media core with SIPp (scripts/sipp/uac.xml), as the called
 * number's contact center would (vendor INVITE headers), prints the SIP ladder, and says where
 * the call ended: from the contact-center sandboxes (Amazon Connect, NICE CXone) or from the
 * REFER / BYE seen on the ladder (SIP trunk, Twilio Flex). Bounded by --timeout (60 s).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCallArgs, UsageError, USAGE, type CallOptions } from './lib/call-args.ts';
import { buildScenario, mediaSteps, synthesizeSpeech } from './lib/caller-media.ts';
import { newCallIds, vendorInviteHeaders } from './lib/invite-headers.ts';
import { ESPEAK, formatMissing, missingPrerequisites, SIPP, SOX } from './lib/prerequisites.ts';
import { fetchSandboxEvents, lastSeq, sandboxEnding, type SandboxEnding } from './lib/sandbox-outcome.ts';
import { parseSippTrace, renderLadder, sipEnding } from './lib/sip-ladder.ts';
import { runSipp } from './lib/sipp-run.ts';
import { DEMO_CONNECT_INSTANCE_ARN } from './lib/stack-env.ts';
import { REPO_ROOT } from './lib/repo-root.ts';
import { VENDOR_NAME, vendorForNumber } from './lib/vendor-route.ts';
import { verdict } from './lib/call-verdict.ts';

const out = (line = '') => process.stdout.write(`${line}\n`);

async function placeCall(o: CallOptions): Promise<number> {
  const needed = [SIPP, ...(o.say ? [ESPEAK, SOX] : [])];
  const missing = missingPrerequisites(needed);
  if (missing.length) {
    process.stderr.write(`${formatMissing(missing)}\n`);
    return 1;
  }
  const configFile = process.env.CONFIG_FILE ?? join(REPO_ROOT, 'media-core/config/demo.json');
  const vendor = vendorForNumber(o.to, configFile);
  const ids = newCallIds(vendor, process.env.AMAZON_CONNECT_INSTANCE_ARN || DEMO_CONNECT_INSTANCE_ARN);
  const workDir = mkdtempSync(join(tmpdir(), 'npm-call-'));
  try {
    const usesSandbox = vendor === 'amazon_connect' || vendor === 'nice_cxone';
    let sinceSeq = 0;
    if (usesSandbox) {
      try {
        sinceSeq = lastSeq(await fetchSandboxEvents(o.sandboxUrl));
      } catch (err) {
        out(`note: the sandboxes at ${o.sandboxUrl} do not answer (${(err as Error).message}); the result will come from SIP only`);
      }
    }
    const speech = o.say ? await synthesizeSpeech(o.say, workDir) : undefined;
    const scenarioFile = join(workDir, 'call.xml');
    const started = Date.now();
    const mediaMs = o.afterMs + o.dtmf.length * 400 + (speech?.durationMs ?? 0);
    writeFileSync(
      scenarioFile,
      buildScenario(readFileSync(join(REPO_ROOT, 'scripts/sipp/uac.xml'), 'utf8'), {
        headers: vendorInviteHeaders(vendor, ids),
        media: mediaSteps({ afterMs: o.afterMs, dtmf: o.dtmf, speech }),
        waitEndMs: o.timeoutMs - mediaMs - 5000,
      }),
    );
    const what = [o.dtmf && `DTMF ${o.dtmf}`, o.say && `saying "${o.say}"`].filter(Boolean).join(' then ') || 'no input';
    out(`Calling ${o.to} (${VENDOR_NAME[vendor]}) at ${o.host}:${o.port} over ${o.transport.toUpperCase()}${ids.contactId ? `, contact id ${ids.contactId}` : ''}; ${what}; up to ${o.timeoutMs / 1000} s`);

    const result = await runSipp({ scenarioFile, workDir, host: o.host, port: o.port, transport: o.transport, keys: { to: o.to, caller: o.from }, timeoutMs: o.timeoutMs });
    const messages = existsSync(result.messageFile) ? parseSippTrace(readFileSync(result.messageFile, 'utf8')) : [];
    out('');
    out('SIP ladder:');
    for (const line of renderLadder(messages)) out(line);
    if (!messages.length) out('  (no SIP message was exchanged)');
    if (result.killed) out(`SIPp was stopped after ${o.timeoutMs / 1000} s`);
    if (result.code !== 0 && existsSync(result.errorFile)) {
      // Each SIPp error entry starts with a date; the first line says what went wrong.
      const errors = readFileSync(result.errorFile, 'utf8').split('\n').filter((l) => /^\d{4}-\d{2}-\d{2}/.test(l)).slice(-3);
      if (errors.length) out(`SIPp reported:\n  ${errors.map((l) => l.replace(/^\S+\s+\S+\s+\S+:\s*/, '').slice(0, 200)).join('\n  ')}`);
    }

    const sip = sipEnding(messages);
    let sandbox: SandboxEnding | undefined;
    if (usesSandbox && ids.contactId && sip.kind !== 'no-answer' && sip.kind !== 'rejected') {
      // The adapter writes before the BYE, so the event is normally there already; allow a short settle.
      for (let i = 0; i < 10; i++) {
        try {
          sandbox = sandboxEnding(await fetchSandboxEvents(o.sandboxUrl), vendor, ids.contactId, sinceSeq);
        } catch {
          break;
        }
        if (sandbox.kind !== 'none') break;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    out('');
    out(`Call ended after ${((Date.now() - started) / 1000).toFixed(1)} s: ${verdict(vendor, sip, sandbox)}`);
    const key = sandbox?.kind === 'queued' ? sandbox.sessionHistoryKey : sip.kind === 'transferred' ? sip.sessionHistoryKey : undefined;
    if (key) out(`Agent screen pop (local demo): ${o.screenPopUrl}?session_history_key=${encodeURIComponent(key)}`);
    return sip.kind === 'no-answer' || sip.kind === 'rejected' ? 1 : 0;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
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
  return placeCall(opts);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`npm run call failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
