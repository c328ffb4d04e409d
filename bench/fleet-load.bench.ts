/**
 * `npm run bench -- fleet-load`: calls through Kamailio to two media cores (dev/stack/fleet.ts,
 * the same fleet as `npm run fleet`, on free ports) and what became of them: answered, failed,
 * the share each core took, and INVITE-to-200 setup times through the proxy.
 *
 * Each call is SIPp's dev/sipp/scenarios/uac-hold.xml: INVITE, ACK, held while the demo assistant
 * speaks its greeting and waits, then BYE from the caller. Env: FLEET_BENCH_CALLS (default 20,
 * all held at once), FLEET_BENCH_HOLD_S (10), FLEET_BENCH_RATE (calls per second, 10).
 * Exit 1 when a call failed.
 */
import { randomInt } from 'node:crypto';
import { startFleet } from '../dev/stack/fleet.ts';
import { freeSipPort, freeSippMediaPort, freeTcpPort } from '../dev/free-ports.ts';
import { runSipp } from '../dev/sipp/run-sipp.ts';
import { inviteAnswers } from '../dev/sipp/sipp-trace.ts';
import { percentile } from './stats.ts';

const calls = Number(process.env.FLEET_BENCH_CALLS ?? 20);
const holdS = Number(process.env.FLEET_BENCH_HOLD_S ?? 10);
const rate = Number(process.env.FLEET_BENCH_RATE ?? 10);
if (![calls, holdS, rate].every((n) => Number.isInteger(n) && n > 0) || calls > 5000) throw new Error('FLEET_BENCH_CALLS (1-5000), FLEET_BENCH_HOLD_S, FLEET_BENCH_RATE: positive whole numbers');

const tcp = new Set<number>();
while (tcp.size < 4) tcp.add(await freeTcpPort());
const [dynamodb, http, lambda, sandbox] = [...tcp];
const sip: number[] = [];
while (sip.length < 3) {
  const p = await freeSipPort();
  if (!tcp.has(p) && !sip.includes(p)) sip.push(p);
}
// One even RTP port per call, split between the two cores, with room to spare.
const rtpMin = 2 * randomInt(10_000, 12_000);
const fleet = await startFleet({
  ports: { dynamodb: dynamodb!, http: http!, lambda: lambda!, sandbox: sandbox!, sip: sip[0]!, rtpMin, rtpMax: rtpMin + 4 * calls + 39 },
  mediaCorePorts: [sip[1]!, sip[2]!],
  quiet: true,
  logLevel: 'warn',
});
let failed = 0;
try {
  const t0 = Date.now();
  const r = await runSipp({
    scenario: 'uac-hold.xml',
    targetPort: fleet.sipPort,
    localPort: await freeSipPort(),
    mediaPort: await freeSippMediaPort(),
    calls,
    rate,
    limit: calls,
    service: '+15550100001',
    keys: { hold_ms: String(holdS * 1000) },
    timeoutS: Math.ceil(calls / rate) + holdS + 30,
  });
  const answers = inviteAnswers(r.messages);
  const ok = answers.filter((a) => a.status === 200);
  failed = calls - ok.length;
  const byCore = new Map<number, number>();
  for (const a of ok) byCore.set(a.contactPort ?? 0, (byCore.get(a.contactPort ?? 0) ?? 0) + 1);
  // From SIPp's message trace, one pass: the first INVITE sent to the first 200 OK (INVITE) received, per Call-ID, ms.
  const sentAt = new Map<string, number>();
  const answeredAt = new Map<string, number>();
  for (const block of r.messages.split(/^-{10,} /m)) {
    const at = Date.parse(`${block.slice(0, 26).replace(' ', 'T')}Z`);
    const callId = /^Call-ID:\s*(\S+)/im.exec(block)?.[1];
    if (!callId || Number.isNaN(at)) continue;
    if (/message sent/.test(block) && /^INVITE /m.test(block) && !sentAt.has(callId)) sentAt.set(callId, at);
    if (/message received/.test(block) && /^SIP\/2\.0 200 /m.test(block) && /^CSeq:\s*1 INVITE/im.test(block) && !answeredAt.has(callId)) answeredAt.set(callId, at);
  }
  const setup = [...answeredAt].filter(([id]) => sentAt.has(id)).map(([id, at]) => at - sentAt.get(id)!).sort((a, b) => a - b);
  console.log(`fleet-load: ${calls} calls at ${rate}/s held ${holdS} s through Kamailio to 2 media cores, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`  answered ${ok.length} of ${calls}; failed ${calls - ok.length}; SIPp exit ${r.code}`);
  for (const c of fleet.mediaCores) console.log(`  ${c.name}: ${byCore.get(c.sipPort) ?? 0} calls`);
  if (setup.length) console.log(`  setup INVITE -> 200 through the proxy: p50 ${percentile(setup, 50)} ms, p99 ${percentile(setup, 99)} ms (${setup.length} calls; the trace has 1 ms resolution)`);
  if (r.code !== 0) failed = Math.max(failed, 1);
} finally {
  await fleet.stop();
}
process.exit(failed ? 1 : 0);
