/**
 * The product's main job under load (issue "The main job under load"): callers talking to the
 * demo assistant through the whole local stack, run as `npm start` runs it (dev/stack/stack.ts:
 * dynalite, sandboxes, serverless-offline, the media core with the demo configuration), with
 * the call limit and the RTP port range set for the load, on free 127.0.0.1 ports.
 *
 * Callers are SIPp (UDP), calling +15550100001 at BENCH_RATE calls/s: each waits for the
 * greeting, says "What are your opening hours" from an RTP capture made now from espeak-ng
 * audio (bench/conversation-load-media.ts), and stays until BENCH_SECONDS after the answer;
 * every BENCH_DTMF_EVERY-th caller first presses 1234# (the demo's account number collection).
 *
 * A conversation counts as completed only when its session history (read back from dynalite)
 * shows the caller's phrase recognized (a caller entry about opening hours) followed by the
 * assistant's answer to it, with no failure or skipped-prompt entry after it.
 *
 * Prints, per speech mode: conversations completed, failed (admitted and not completed) and
 * refused at admission (by cause, from the media core's /metrics); turn latency p50/p99 from
 * the caller's last voiced frame (VAD hangover included) to the answer's playback start (the
 * media core's 'turn answered' log lines, input speech); CPU per conversation-minute of the
 * media core and its children (speech helpers), not SIPp or the sandboxes; peak RSS of the
 * same; state writes lost (media_core_state_writes_lost_total) and the SIP socket's drops.
 *
 *   npm run bench -- conversation-load [--speech embedded|sandbox-watson|both] [--calls N] [--fleet]
 *
 * `--fleet` runs the same load through Kamailio in front of two media cores (dev/stack/fleet.ts,
 * what `npm run fleet` starts): figures are the sums over both cores, and the spread is printed.
 *
 * Env: BENCH_SPEECH (both), BENCH_CALLS (500 embedded, 1000 sandbox-watson), BENCH_RATE (20),
 * BENCH_SECONDS (30; 60 for sandbox-watson), BENCH_SAY_AT_MS (7000: after the greeting),
 * BENCH_DTMF_EVERY (4; 0 = nobody presses digits), BENCH_PORT_BASE (ports from there, else free
 * ports), BENCH_MAX_CALLS (MAX_CALLS of the media
 * core; default the number of calls, so only headroom refuses: set it lower, or offer 2x, for
 * the overload run). The media core's ADMISSION_* variables pass through.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startStack } from '../dev/stack/stack.ts';
import { sippReply } from '../dev/sipp/sipp-reply.ts';
import { startFleet } from '../dev/stack/fleet.ts';
import { STATE_TABLE } from '../dev/stack/stack-env.ts';
import { prepareDtmfPcaps } from '../dev/caller/caller-media.ts';
import { freeSipPort, freeSippMediaPort, freeTcpPort } from '../dev/free-ports.ts';
import { runSipp, type SippResult } from '../dev/sipp/run-sipp.ts';
import { phrasePcap, type PhrasePcap } from './conversation-load-media.ts';
import { percentile } from './stats.ts';
import { machineCpu, procStat, type ProcStat } from './proc-cpu.ts';

type SpeechMode = 'embedded' | 'sandbox-watson';

// Node 20 is supported here; the SDK's notice about it would bury the figures.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const speechArg = arg('speech') ?? process.env.BENCH_SPEECH ?? 'both';
const MODES: SpeechMode[] = speechArg === 'both' ? ['embedded', 'sandbox-watson'] : [speechArg as SpeechMode];
if (!MODES.every((m) => m === 'embedded' || m === 'sandbox-watson')) {
  console.error(`--speech must be embedded, sandbox-watson or both, not ${speechArg}`);
  process.exit(2);
}
/** `--fleet` (or BENCH_FLEET=1): the callers call Kamailio in front of two media cores, as `npm run fleet` runs them. */
const FLEET = process.argv.includes('--fleet') || process.env.BENCH_FLEET === '1';
const PHRASE = 'What are your opening hours';
const ANSWER = /^We are open/;

const int = (v: string | undefined, dflt: number) => {
  const n = v === undefined || v === '' ? dflt : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`not a whole number: ${v}`);
  return n;
};

// ---- the media core's process tree --------------------------------------------------------

/** The process and its live descendants. */
function tree(root: number): Map<number, ProcStat> {
  const all = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = procStat(Number(name));
    if (s) all.set(Number(name), s);
  }
  const out = new Map<number, ProcStat>();
  const want = [root];
  while (want.length) {
    const pid = want.pop()!;
    const s = all.get(pid);
    if (!s || out.has(pid)) continue;
    out.set(pid, s);
    for (const [child, cs] of all) if (cs.ppid === pid) want.push(child);
  }
  return out;
}

/** CPU seconds of the tree: every live process's own and reaped children's (each exited process counts once, in its reaper). */
const treeCpu = (t: Map<number, ProcStat>) => [...t.values()].reduce((n, s) => n + s.cpuS + s.reapedCpuS, 0);
const treeRss = (t: Map<number, ProcStat>) => [...t.values()].reduce((n, s) => n + s.rssBytes, 0);

// ---- the callers ---------------------------------------------------------------------------

const xmlAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * The caller's SIPp scenario: INVITE (PCMU + telephone-event), ACK, the digits (when given),
 * the phrase at `sayAtMs` after the answer, BYE at `endAtMs`. A BYE from the media core before
 * then (the assistant hangs up on a caller silent too long) is answered and ends the call
 * normally: its conversation is judged by its session history like any other. A refusal
 * (486 full, 503 no headroom) is ACKed with the INVITE's Via (RFC 3261 17.1.1.3) and ends the
 * call as a success for SIPp: refusals are counted from the media core's /metrics instead, so
 * the other callers keep coming, as they do on the phone network.
 */
function scenario(o: { digits: string[]; phrase: PhrasePcap; sayAtMs: number; endAtMs: number }): string {
  const steps: string[] = [];
  let at = 0;
  const digitsAt = Math.max(0, o.sayAtMs - 1500 - o.digits.length * 400);
  if (o.digits.length) {
    steps.push(`<pause milliseconds="${digitsAt}"/>`);
    at = digitsAt;
    for (const file of o.digits) {
      steps.push(`<nop><action><exec play_pcap_audio="${xmlAttr(file)}"/></action></nop>`, '<pause milliseconds="400"/>');
      at += 400;
    }
  }
  steps.push(`<pause milliseconds="${Math.max(1, o.sayAtMs - at)}"/>`);
  steps.push(`<nop><action><exec play_pcap_audio="${xmlAttr(o.phrase.file)}"/></action></nop>`);
  // Stay until endAtMs, unless the media core hangs up first (the assistant's no-input policy
  // ends a caller silent for long): that BYE is answered and ends the call normally.
  steps.push(`<recv request="BYE" timeout="${Math.max(1, o.endAtMs - o.sayAtMs)}" ontimeout="hangup"/>`);
  steps.push(sippReply('200 OK'));
  steps.push('<pause milliseconds="1" next="done"/>');
  steps.push('<label id="hangup"/>');
  const dialog = (method: string, cseq: number) => `
      ${method} [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+1555[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: <sip:caller@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="conversation-load caller">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+1555[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:caller@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=ptime:20
      a=sendrecv

  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="486" optional="true" next="refused"/>
  <recv response="503" optional="true" next="refused"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[${dialog('ACK', 1)}
  ]]></send>
  ${steps.join('\n  ')}
  <send retrans="500"><![CDATA[${dialog('BYE', 2)}
  ]]></send>
  <recv response="200" next="done"/>
  <label id="refused"/>
  <send><![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      From: <sip:+1555[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <label id="done"/>
</scenario>
`;
}

// ---- completion, from the session history --------------------------------------------------

interface SessionItem {
  pk: string;
  sk: string;
  who?: string;
  text?: string;
}

/**
 * Sessions in the state table and how many completed: a caller entry about opening hours, then
 * the assistant's answer, then no failure or skipped prompt.
 */
async function sessionOutcomes(endpoint: string): Promise<{ sessions: number; completed: number; reasons: Record<string, number>; heard: Record<string, number> }> {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
  const bySession = new Map<string, SessionItem[]>();
  let start: Record<string, unknown> | undefined;
  for (let page = 0; page < 10_000; page++) {
    const r = await client.send(new ScanCommand({ TableName: STATE_TABLE, ExclusiveStartKey: start }));
    for (const i of (r.Items ?? []) as SessionItem[]) {
      if (!i.pk.startsWith('session#')) continue;
      const list = bySession.get(i.pk) ?? [];
      list.push(i);
      bySession.set(i.pk, list);
    }
    start = r.LastEvaluatedKey as Record<string, unknown> | undefined;
    if (!start) break;
  }
  client.destroy();
  let completed = 0;
  const reasons: Record<string, number> = {};
  // What the recognizer made of the callers' speech where the phrase was missed (diagnostics).
  const heard: Record<string, number> = {};
  for (const items of bySession.values()) {
    const turns = items.filter((i) => i.sk.startsWith('turn#')).sort((a, b) => a.sk.localeCompare(b.sk));
    const asked = turns.findIndex((t) => t.who === 'caller' && /hour|open/i.test(t.text ?? ''));
    const answered = asked >= 0 ? turns.findIndex((t, k) => k > asked && t.who === 'assistant' && ANSWER.test(t.text ?? '')) : -1;
    const spoiled = answered >= 0 && turns.slice(answered).some((t) => t.who === 'system' && /failed|skipp/i.test(t.text ?? ''));
    const reason = asked < 0 ? 'phrase not recognized' : answered < 0 ? 'no answer' : spoiled ? 'failure after the answer' : 'completed';
    reasons[reason] = (reasons[reason] ?? 0) + 1;
    if (asked < 0) for (const t of turns.filter((x) => x.who !== 'assistant')) heard[(t.text ?? '').slice(0, 60)] = (heard[(t.text ?? '').slice(0, 60)] ?? 0) + 1;
    if (reason === 'completed') completed++;
  }
  return { sessions: bySession.size, completed, reasons, heard };
}

// ---- /metrics ----------------------------------------------------------------------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of every media core's /metrics (Prometheus text), summed by name or by label. */
class Scrape {
  constructor(readonly samples: Sample[]) {}

  static async of(urls: string[]): Promise<Scrape> {
    const texts = await Promise.all(urls.map(async (u) => (await fetch(u)).text()));
    const samples = texts
      .flatMap((t) => t.split('\n'))
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(l);
        if (!m) return undefined;
        const labels = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
        return { name: m[1]!, labels, value: Number(m[4]) };
      })
      .filter((x) => x !== undefined);
    return new Scrape(samples);
  }

  sum(name: string, labels: Record<string, string> = {}): number {
    return this.samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((n, x) => n + x.value, 0);
  }

  /** Non-zero sums of `name` by the given labels, e.g. "pacer_late 503: 20". */
  by(name: string, labels: string[]): string {
    const sums = new Map<string, number>();
    for (const x of this.samples) {
      if (x.name !== name) continue;
      const key = labels.map((l) => x.labels[l]).join(' ');
      sums.set(key, (sums.get(key) ?? 0) + x.value);
    }
    return [...sums].filter(([, v]) => v > 0).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none';
  }
}

// ---- one run -----------------------------------------------------------------------------

/** What the callers call: one media core (`npm start`) or Kamailio in front of two (`npm run fleet`). */
interface Target {
  /** Where SIPp sends its INVITEs. */
  sipPort: number;
  /** The media cores' pids (their process trees are measured). */
  mediaPids: number[];
  metricsUrls: string[];
  dynamodbEndpoint: string;
  describe: string;
  stop(): Promise<void>;
}

async function startTarget(o: { fleet: boolean; base: number | undefined; maxCalls: number; onLine: (line: string) => void }): Promise<Target> {
  // BENCH_PORT_BASE=b: TCP b..b+6, SIP b+7..b+9, SIPp b+10..b+19, RTP from b+100 (a shared machine's port block); else free ports.
  const tcp = new Set<number>();
  while (tcp.size < 6) tcp.add(o.base !== undefined ? o.base + tcp.size : await freeTcpPort());
  const [dynamodb, http, lambda, sandbox, metrics1, metrics2] = [...tcp] as number[] as [number, number, number, number, number, number];
  const sip: number[] = [];
  while (sip.length < (o.fleet ? 3 : 1)) {
    const p = o.base !== undefined ? o.base + 7 + sip.length : await freeSipPort();
    if (!sip.includes(p) && !tcp.has(p)) sip.push(p);
  }
  const rtpMin = o.base !== undefined ? o.base + 100 : 20000 + 2 * Math.floor(Math.random() * 5000);
  // Each core gets half the range in a fleet, and either may take the whole load.
  const rtpMax = rtpMin + (o.fleet ? 4 : 2) * o.maxCalls + 400;
  const ports = { dynamodb, http, lambda, sandbox, sip: sip[0]!, rtpMin, rtpMax };
  const onOutput = (component: string, line: string) => component.startsWith('media-core') && line.startsWith('{') && o.onLine(line);
  const common = { ports, quiet: true, logLevel: 'info', onOutput, maxCalls: String(o.maxCalls) };
  if (!o.fleet) {
    process.env.METRICS_PORT = String(metrics1);
    const stack = await startStack(common);
    return {
      sipPort: sip[0]!,
      mediaPids: [stack.pids()['media-core']!],
      metricsUrls: [`http://127.0.0.1:${metrics1}/metrics`],
      dynamodbEndpoint: stack.env.urls.dynamodb,
      describe: `one media core: SIP ${sip[0]}, RTP ${rtpMin}-${rtpMax}`,
      stop: () => stack.stop(),
    };
  }
  const fleet = await startFleet({ ...common, mediaCorePorts: sip.slice(1), metricsPorts: [metrics1, metrics2] });
  return {
    sipPort: fleet.sipPort,
    mediaPids: fleet.mediaCores.map((c) => c.process.pid),
    metricsUrls: [metrics1, metrics2].map((m) => `http://127.0.0.1:${m}/metrics`),
    dynamodbEndpoint: fleet.stack.env.urls.dynamodb,
    describe: `Kamailio SIP ${fleet.sipPort} -> ${fleet.mediaCores.map((c) => `${c.name} SIP ${c.sipPort} RTP ${c.rtpMin}-${c.rtpMax}`).join(', ')}`,
    stop: () => fleet.stop(),
  };
}

async function runMode(mode: SpeechMode, phrase: PhrasePcap, dtmfFiles: string[], workDir: string): Promise<void> {
  const calls = int(arg('calls') ?? process.env.BENCH_CALLS, mode === 'embedded' ? 500 : 1000);
  const rate = int(process.env.BENCH_RATE, 20);
  const seconds = int(process.env.BENCH_SECONDS, mode === 'embedded' ? 30 : 60);
  const sayAtMs = int(process.env.BENCH_SAY_AT_MS, 7000);
  const dtmfEvery = int(process.env.BENCH_DTMF_EVERY, 4);
  const maxCalls = int(process.env.BENCH_MAX_CALLS, calls);
  console.log(`\n--- ${mode} speech${FLEET ? ', fleet of two media cores behind Kamailio' : ''}: ${calls} callers at ${rate}/s, ${seconds} s each, phrase "${PHRASE}" at ${sayAtMs / 1000} s${dtmfEvery ? `, every ${dtmfEvery}th presses 1234# first` : ''}; MAX_CALLS ${maxCalls}${FLEET ? ' per core' : ''}`);
  const base = process.env.BENCH_PORT_BASE ? int(process.env.BENCH_PORT_BASE, 0) : undefined;
  // The stack's children inherit the environment: the speech mode.
  if (mode === 'embedded') delete process.env.SPEECH;
  else process.env.SPEECH = mode;
  const turns: { input: string; ms: number; recognitionMs?: number }[] = [];
  let conversationFailedLines = 0;
  const onLine = (line: string) => {
    if (line.includes('"turn answered"')) {
      try {
        const j = JSON.parse(line) as { turnLatencyMs: number; input: string; recognitionMs?: number };
        turns.push({ input: j.input, ms: j.turnLatencyMs, recognitionMs: j.recognitionMs });
      } catch {
        /* a partial line */
      }
    } else if (line.includes('"conversation failed"')) conversationFailedLines++;
    else if (line.includes('"call refused by admission"') && refusalLines.length < 3) refusalLines.push(line.slice(0, 400));
  };
  // The first refusals' reasons (the forecast's figures), printed after the run.
  const refusalLines: string[] = [];
  let target: Target;
  const t0 = Date.now();
  try {
    target = await startTarget({ fleet: FLEET, base, maxCalls, onLine });
  } catch (err) {
    console.log(`the stack did not start: ${(err as Error).message.split('\n').slice(0, 6).join('\n')}`);
    return;
  }
  console.log(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s (${target.describe})`);
  const measure = () => {
    const trees = target.mediaPids.map((pid) => tree(pid));
    return { cpuS: trees.reduce((n, t) => n + treeCpu(t), 0), rss: trees.reduce((n, t) => n + treeRss(t), 0), rssCores: target.mediaPids.reduce((n, pid, i) => n + (trees[i]!.get(pid)?.rssBytes ?? 0), 0) };
  };
  try {
    const before = await Scrape.of(target.metricsUrls);
    const cpu0 = measure().cpuS;
    let peakRss = 0;
    let peakRssCore = 0;
    let peakActive = 0;
    // SIPp's own CPU (the callers share the machine): the last sample before each exits.
    const sippCpu = new Map<number, number>();
    const machine0 = machineCpu();
    const sampler = setInterval(() => {
      for (const pid of sippCpu.keys()) {
        const s = procStat(pid);
        if (s) sippCpu.set(pid, s.cpuS);
      }
      const m = measure();
      peakRss = Math.max(peakRss, m.rss);
      peakRssCore = Math.max(peakRssCore, m.rssCores);
    }, 1000);
    const active = setInterval(() => {
      void Scrape.of(target.metricsUrls).then((m) => (peakActive = Math.max(peakActive, m.sum('media_core_calls_active'))), () => undefined);
    }, 2000);
    const digitCallers = dtmfEvery ? Math.floor(calls / dtmfEvery) : 0;
    const talkers = calls - digitCallers;
    const run = async (n: number, digits: string[], name: string): Promise<SippResult | undefined> => {
      if (n === 0) return undefined;
      const file = join(workDir, `${mode}-${name}.xml`);
      writeFileSync(file, scenario({ digits, phrase, sayAtMs, endAtMs: seconds * 1000 }));
      return runSipp({
        scenario: file,
        targetPort: target.sipPort,
        localPort: base !== undefined ? base + (name === 'talkers' ? 10 : 11) : await freeSipPort(),
        mediaPort: base !== undefined ? base + (name === 'talkers' ? 12 : 16) : await freeSippMediaPort(),
        calls: n,
        limit: n,
        rate: Math.max(1, (rate * n) / calls),
        service: '+15550100001',
        timeoutS: seconds + Math.ceil(n / Math.max(1, (rate * n) / calls)) + 60,
        extraArgs: ['-aa'],
        onSpawn: (pid) => sippCpu.set(pid, 0),
      });
    };
    const [a, b] = await Promise.all([run(talkers, [], 'talkers'), run(digitCallers, dtmfFiles, 'digits')]);
    clearInterval(active);
    // Let the last history and MAU writes go out (the queue drains within seconds unless the table is down).
    for (let i = 0; i < 30; i++) {
      const m = await Scrape.of(target.metricsUrls);
      if (m.sum('media_core_state_writes_queued') === 0 && m.sum('media_core_calls_active') === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    clearInterval(sampler);
    const cpuS = measure().cpuS - cpu0;
    const machine1 = machineCpu();
    const machineTotal = Math.max(1, machine1.total - machine0.total);
    const after = await Scrape.of(target.metricsUrls);
    const delta = (name: string) => after.sum(name) - before.sum(name);
    const admitted = delta('media_core_calls_admitted_total');
    const outcomes = await sessionOutcomes(target.dynamodbEndpoint);
    const speech = turns.filter((t) => t.input === 'speech').map((t) => t.ms);
    const dtmf = turns.filter((t) => t.input === 'dtmf').map((t) => t.ms);
    const minutes = (admitted * seconds) / 60;
    const sippFailed = [a, b]
      .filter((r) => r && r.code !== 0)
      .map((r) => {
        // SIPp's error file: one dated line per failed call (an unexpected BYE, a timeout).
        const lines = r!.errors.split('\n').filter((l) => /^\d{4}-\d{2}-\d{2}/.test(l));
        return `SIPp exit ${r!.code}${r!.killed ? ' (killed)' : ''}, ${lines.length} error lines; last: ${(lines.at(-1) ?? '').replace(/^\S+\s+\S+\s+/, '').slice(0, 200)}`;
      });
    // Each core's admissions since it started (the fleet starts fresh for each run).
    // Kamailio answers 503 itself while no core is in rotation (a core that answered 503 stays out until its next OPTIONS probe).
    const perCore = FLEET
      ? `; admitted per core ${(await Promise.all(target.metricsUrls.map(async (u) => (await Scrape.of([u])).sum('media_core_calls_admitted_total')))).join(' and ')}; refused by Kamailio ${Math.max(0, calls - admitted - delta('media_core_calls_refused_total'))}`
      : '';
    for (const l of refusalLines) console.log(`  refusal: ${l}`);
    console.log(`conversations: completed ${outcomes.completed}, failed ${Math.max(0, admitted - outcomes.completed)} (of ${admitted} admitted; ${conversationFailedLines} "conversation failed" log lines; sessions ${JSON.stringify(outcomes.reasons)}), refused at admission ${delta('media_core_calls_refused_total')} (${after.by('media_core_calls_refused_total', ['cause', 'status'])}); peak concurrent ${peakActive}${perCore}`);
    console.log(`turn latency, last voiced frame (VAD hangover included) -> answer playback start: p50 ${percentile(speech, 50).toFixed(0)} ms, p99 ${percentile(speech, 99).toFixed(0)} ms over ${speech.length} spoken turns; after DTMF p50 ${percentile(dtmf, 50).toFixed(0)} ms, p99 ${percentile(dtmf, 99).toFixed(0)} ms (${dtmf.length})`);
    // The recognizer's own time (decoder queue and decode, or the emulated Watson's latency) and what the turn took beyond it.
    const recognized = turns.filter((t) => t.input === 'speech' && t.recognitionMs !== undefined);
    const beyond = recognized.map((t) => t.ms - t.recognitionMs!);
    console.log(`  of which the recognizer (end of utterance to result): p50 ${percentile(recognized.map((t) => t.recognitionMs!), 50).toFixed(0)} ms, p99 ${percentile(recognized.map((t) => t.recognitionMs!), 99).toFixed(0)} ms; the turn beyond the recognizer (VAD hangover, answer, playback start): p50 ${percentile(beyond, 50).toFixed(0)} ms, p99 ${percentile(beyond, 99).toFixed(0)} ms`);
    console.log(`CPU of the media core${FLEET ? 's' : ''} and speech helpers: ${cpuS.toFixed(1)} s, ${minutes > 0 ? ((cpuS / minutes) * 1000).toFixed(0) : '-'} ms per conversation-minute (${minutes.toFixed(1)} conversation-minutes); peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB (media core${FLEET ? 's' : ''} alone ${(peakRssCore / 2 ** 20).toFixed(0)} MB)`);
    console.log(`the machine over the run: ${(((machine1.busy - machine0.busy) / machineTotal) * 100).toFixed(0)}% busy, steal ${(((machine1.steal - machine0.steal) / machineTotal) * 100).toFixed(1)}%; SIPp ${[...sippCpu.values()].reduce((a, b) => a + b, 0).toFixed(1)} s CPU`);
    console.log(`speech requests by queue and outcome: ${after.by('media_core_speech_requests_total', ['queue', 'outcome'])}`);
    console.log(`state writes lost ${after.sum('media_core_state_writes_lost_total')}; SIP socket drops ${delta('media_core_sip_udp_socket_drops_total')}; SIP messages dropped at the edge: ${after.by('media_core_sip_dropped_total', ['reason'])}${sippFailed.length ? `\n${sippFailed.join('\n')}` : ''}`);
    if (outcomes.completed < outcomes.sessions) console.log(`caller and system entries of sessions without the phrase: ${JSON.stringify(outcomes.heard)}`);
  } finally {
    await target.stop();
  }
}

const work = mkdtempSync(join(tmpdir(), 'conversation-load-'));
try {
  const phrase = phrasePcap(PHRASE, work);
  const dtmfFiles = prepareDtmfPcaps('1234#', work);
  console.log(`conversation-load: phrase capture ${phrase.durationMs} ms, last voiced frame ends at ${phrase.lastVoicedEndMs} ms; speech modes ${MODES.join(', ')}`);
  for (const mode of MODES) await runMode(mode, phrase, dtmfFiles, work);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
