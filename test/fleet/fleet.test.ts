/**
 * Scale-out on Kamailio (issue 13 item 3): the fleet of dev/stack/fleet.ts (Kamailio with
 * infra/kamailio/kamailio.cfg in front of two media cores, plus the local stack) on free
 * ports, and real SIPp calls to Kamailio:
 *   - calls spread over both media cores;
 *   - REFER and BYE go through the proxy (both directions carry its Via);
 *   - a draining media core (OPTIONS 503) gets no new calls, and its call in progress goes on;
 *   - a SIGKILLed media core: new calls go to the other within 10 s; calls there go on;
 *   - a media core refusing calls with 503 for headroom stays in rotation (a second fleet).
 * Which core took a call is read from the Contact of its 200 OK (sip:media@127.0.0.1:<port>).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { startFleet, type FleetMediaCore, type FleetOptions, type RunningFleet } from '../../dev/stack/fleet.ts';
import { placeCall } from '../../dev/caller/place-call.ts';
import { runSipp, type SippResult } from '../../dev/sipp/run-sipp.ts';
import { inviteAnswers } from '../../dev/sipp/sipp-trace.ts';
import { freeSipPort, freeSippMediaPort, freeTcpPort } from '../../dev/free-ports.ts';

const HOLD_SCENARIO = 'uac-hold.xml';
const haveTools = !spawnSync('sipp', ['-v']).error && (spawnSync('sh', ['-c', 'command -v kamailio || test -x /usr/sbin/kamailio']).status === 0);

let fleet: RunningFleet;
const logs = new Map<string, string[]>();
const log = (component: string) => logs.get(component) ?? [];

/** Ports of the media cores that answered 200 to an INVITE in a SIPp message trace, one per Call-ID, in order. */
function answeringCores(messages: string): number[] {
  return inviteAnswers(messages).filter((a) => a.status === 200 && a.contactPort).map((a) => a.contactPort!);
}

/** One SIPp run of `calls` calls through Kamailio, each held `holdMs` then ended with BYE by the caller. */
async function holdCalls(calls: number, holdMs: number, rate = 10): Promise<SippResult> {
  return runSipp({
    scenario: HOLD_SCENARIO,
    targetPort: fleet.sipPort,
    localPort: await freeSipPort(),
    mediaPort: await freeSippMediaPort(),
    calls,
    rate,
    limit: calls,
    service: '+15550100001',
    keys: { hold_ms: String(holdMs) },
    timeoutS: Math.ceil(holdMs / 1000) + 20,
  });
}

/** Media core names by SIP port. */
const coreByPort = () => new Map(fleet.mediaCores.map((c) => [c.sipPort, c.name]));

/** Log lines of `core` since index `from` that record an INVITE reaching it (admitted or refused). */
function invitesSeen(core: string, from: number): string[] {
  return log(core)
    .slice(from)
    .filter((l) => /"msg":"(incoming call|call refused by admission)"/.test(l));
}

/** The fleet on free ports (a fresh log), with `opts` over the tests' defaults. */
async function startTestFleet(opts: Partial<FleetOptions>): Promise<RunningFleet> {
  logs.clear();
  const tcp = new Set<number>();
  while (tcp.size < 4) tcp.add(await freeTcpPort());
  const [dynamodb, http, lambda, sandbox] = [...tcp];
  const sip = new Set<number>();
  while (sip.size < 3) {
    const p = await freeSipPort();
    if (!tcp.has(p)) sip.add(p);
  }
  const [edge, core1, core2] = [...sip];
  const rtpMin = 2 * randomInt(10_000, 14_900);
  return startFleet({
    ports: { dynamodb: dynamodb!, http: http!, lambda: lambda!, sandbox: sandbox!, sip: edge!, rtpMin, rtpMax: rtpMin + 199 },
    mediaCorePorts: [core1!, core2!],
    failoverMs: 1500,
    drainDeadlineMs: 60_000,
    quiet: true,
    logLevel: 'info',
    onOutput: (component, line) => {
      const lines = logs.get(component) ?? [];
      if (lines.length < 50_000) lines.push(line);
      logs.set(component, lines);
    },
    ...opts,
  });
}

describe('fleet: Kamailio in front of two media cores', { concurrency: false, timeout: 600_000, skip: haveTools ? false : 'sipp or kamailio is not installed' }, () => {
  before(async () => {
    fleet = await startTestFleet({ probeIntervalS: 1 });
  });
  after(async () => {
    await fleet?.stop();
  });

  test('calls spread over both media cores', async () => {
    const r = await holdCalls(6, 300);
    assert.equal(r.code, 0, `${r.errors}\n${r.stdout.slice(-2000)}`);
    const cores = answeringCores(r.messages).map((p) => coreByPort().get(p));
    assert.equal(cores.length, 6, `answers: ${cores.join(', ')}`);
    for (const c of fleet.mediaCores) assert.ok(cores.filter((x) => x === c.name).length >= 2, `${c.name} took ${cores.filter((x) => x === c.name).length} of 6: ${cores.join(', ')}`);
  });

  test('REFER and BYE go through the proxy', async () => {
    const call = await placeCall({
      to: '+15550100001',
      from: '+15557654321',
      dtmf: '0',
      host: '127.0.0.1',
      port: fleet.sipPort,
      transport: 'udp',
      afterMs: 500,
      timeoutMs: 40_000,
      sandboxUrl: fleet.stack.env.urls.sandbox,
    });
    assert.equal(call.sip.kind, 'transferred', call.ladder.join('\n'));
    assert.equal(call.sipp.code, 0, call.sipp.errors.join('\n'));
    const viaOfProxy = new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${fleet.sipPort}\\b`, 'i');
    for (const method of ['REFER', 'BYE']) {
      const m = call.messages.find((x) => x.direction === 'received' && x.method === method);
      assert.ok(m, `${method} received: ${call.ladder.join('\n')}`);
      const vias = m.headers.get('via') ?? [];
      assert.match(vias[0] ?? '', viaOfProxy, `${method} came through Kamailio: ${vias.join(' | ')}`);
      assert.equal(vias.length, 2, `${method}: the proxy's Via over the media core's`);
    }
    // The caller's NOTIFY and its 200 OK to the BYE reached the media core: the call ended cleanly there.
    assert.ok(call.messages.some((x) => x.direction === 'received' && x.status === 200 && /NOTIFY/i.test(x.headers.get('cseq')?.[0] ?? '')), 'NOTIFY answered');
  });

  test('a draining media core (OPTIONS 503) gets no new calls; its call in progress goes on', async () => {
    // One long call on each core (round robin), then media-core-1 drains.
    const marks = new Map(fleet.mediaCores.map((c) => [c.name, log(c.name).length]));
    const long = holdCalls(2, 9000);
    const until = Date.now() + 10_000;
    while (Date.now() < until && fleet.mediaCores.some((c) => invitesSeen(c.name, marks.get(c.name)!).length === 0)) await new Promise((r) => setTimeout(r, 100));
    const [draining, other] = fleet.mediaCores as [FleetMediaCore, FleetMediaCore];
    assert.equal(invitesSeen(draining.name, marks.get(draining.name)!).length, 1, `${draining.name} has a call in progress`);
    process.kill(draining.process.pid, 'SIGTERM');
    // Two probe intervals for Kamailio to see the 503.
    await new Promise((r) => setTimeout(r, 2500));
    const from = log(draining.name).length;
    const r = await holdCalls(4, 300, 5);
    assert.equal(r.code, 0, `${r.errors}\n${r.stdout.slice(-1500)}`);
    const cores = answeringCores(r.messages).map((p) => coreByPort().get(p));
    assert.deepEqual(cores, [other.name, other.name, other.name, other.name]);
    assert.deepEqual(invitesSeen(draining.name, from), [], `no INVITE reached the draining ${draining.name}`);
    const longResult = await long;
    assert.equal(longResult.code, 0, `the calls in progress (one on the draining core) end normally: ${longResult.errors}`);
    assert.equal(new Set(answeringCores(longResult.messages)).size, 2, 'the long calls were on both cores');
    await fleet.restartMediaCore(draining.name);
    await new Promise((r) => setTimeout(r, 2500));
  });

  test('a SIGKILLed media core: new calls go to the other within 10 s, calls there go on', async () => {
    // Four long calls as separate callers, so each one's fate is its own SIPp exit code.
    const long = Array.from({ length: 4 }, (_, i) => new Promise((r) => setTimeout(r, i * 150)).then(() => holdCalls(1, 12_000)));
    const victim = fleet.mediaCores[0]!;
    const survivor = fleet.mediaCores[1]!;
    await new Promise((r) => setTimeout(r, 2000));
    process.kill(victim.process.pid, 'SIGKILL');
    const killedAt = Date.now();
    // New calls, one after another, for 10 s.
    const fresh: { at: number; result: SippResult }[] = [];
    while (Date.now() - killedAt < 10_000) {
      const result = await holdCalls(1, 200);
      fresh.push({ at: Date.now() - killedAt, result });
    }
    assert.ok(fresh.length >= 2, `${fresh.length} new calls placed`);
    for (const f of fresh) {
      assert.equal(f.result.code, 0, `new call ending ${f.at} ms after the kill failed: ${f.result.errors}`);
      assert.deepEqual(answeringCores(f.result.messages), [survivor.sipPort], `new call at +${f.at} ms answered by the survivor`);
    }
    assert.ok(fresh[0]!.at < 10_000, `first new call completed ${fresh[0]!.at} ms after the kill`);
    const results = await Promise.all(long);
    const onSurvivor = results.filter((r) => answeringCores(r.messages)[0] === survivor.sipPort);
    const onVictim = results.filter((r) => answeringCores(r.messages)[0] === victim.sipPort);
    assert.ok(onSurvivor.length >= 1 && onVictim.length >= 1, `long calls on both cores: ${results.map((r) => answeringCores(r.messages)[0]).join(', ')}`);
    for (const r of onSurvivor) assert.equal(r.code, 0, `a call on the survivor was touched: ${r.errors}`);
  });
});

describe('fleet: a media core that refuses a call with 503 for headroom stays in rotation', { concurrency: false, timeout: 300_000, skip: haveTools ? false : 'sipp or kamailio is not installed' }, () => {
  before(async () => {
    // media-core-1 refuses every call for speech demand (any admission is over 0.0001 of its
    // decoders) while its OPTIONS probe answers 200; probes 30 s apart, longer than the test.
    fleet = await startTestFleet({ probeIntervalS: 30, mediaCoreEnv: [{ ADMISSION_SPEECH_DEMAND: '0.0001' }, {}] });
  });
  after(async () => {
    await fleet?.stop();
  });

  test('each call goes on to the other core, and the next calls still reach the refusing one', async () => {
    const r = await holdCalls(6, 300, 5);
    assert.equal(r.code, 0, r.errors);
    const ports = answeringCores(r.messages);
    assert.equal(ports.length, 6, 'every call answered');
    assert.ok(ports.every((p) => p === fleet.mediaCores[1]!.sipPort), `answered by ${ports.join(', ')}`);
    // Round robin keeps offering calls to media-core-1: marked down on its first 503, it would
    // have seen one INVITE until its next probe.
    const refused = log('media-core-1').filter((l) => /"msg":"call refused by admission"/.test(l) && /"status":503/.test(l));
    assert.ok(refused.length >= 2, `media-core-1 refused ${refused.length} INVITEs`);
  });
});
