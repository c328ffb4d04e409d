/**
 * SIP/RTP load with SIPp as the caller in the same run (issue 3 figures):
 * 1. concurrent calls with RTP both ways for BENCH_SECONDS (target 1,000, no failed call);
 * 2. RTP send pacing (target p99 <= 2 ms): with the native pacer (BENCH_RTP_IO native, the default
 *    where built), how late each packet left against its own call's 20 ms grid, timed by the pacer
 *    thread around every sendto; otherwise the deviation of the pacing scheduler's ticks from the grid;
 * 3. call setup (INVITE received to 200 OK sent, in the engine) p99 at BENCH_RATE calls/s (target <= 20 ms);
 * 4. CPU per call of our process (all threads) beside SIPp's (utime+stime from /proc/<pid>/stat),
 *    as a ratio, and the busiest threads of our process (/proc/self/task/<tid>/stat).
 *
 * Env: BENCH_CALLS (default 1000), BENCH_SECONDS (60), BENCH_RATE (100 calls/s),
 * BENCH_RTP_IO (auto: the native pacer where built; native; dgram), BENCH_RTP_REALTIME (1: SCHED_FIFO pacer thread), BENCH_RTP_LEAD_MS and BENCH_RTP_PHASES (the pacer lead and send phases; engine defaults 100 and 80), BENCH_LISTEN (all: every call listens to
 * caller audio, as while recognizing speech; none: only digits and the first frame),
 * BENCH_RTP_PORT_MIN (first RTP port, default 30000).
 * Run: `BENCH_CALLS=50 BENCH_SECONDS=10 npx tsx bench/sip-load.bench.ts`
 */
import { readFileSync, writeFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { Uas } from '../media-core/engine/uas.ts';
import type { Call } from '../media-core/call/types.ts';
import { encodeG711 } from '../media-core/media/g711.ts';
import { freeSippMediaPort, freeSipPort } from '../dev/free-ports.ts';
import { runSipp, SCENARIO_DIR } from '../dev/sipp/run-sipp.ts';
import { percentile, ms } from './stats.ts';
import { machineCpu, procStat } from './proc-cpu.ts';

const CALLS = Number(process.env.BENCH_CALLS ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const RATE = Number(process.env.BENCH_RATE ?? 100);
const RTP_IO = (process.env.BENCH_RTP_IO ?? 'auto') as 'auto' | 'native' | 'dgram';
const LISTEN = process.env.BENCH_LISTEN ?? 'all';
const RTP_PORT_MIN = Number(process.env.BENCH_RTP_PORT_MIN ?? 30000);

/** CPU seconds per thread of this process, by tid, with the thread's name. */
function threadCpu(): Map<string, { name: string; s: number }> {
  const out = new Map<string, { name: string; s: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    const s = cpuSeconds(`self/task/${tid}`);
    if (s === undefined) continue;
    let name = '?';
    try { name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(); } catch { /* thread ended */ }
    out.set(tid, { name, s });
  }
  return out;
}

/** utime + stime of a process (all its threads) or of one thread ('self/task/<tid>'), in seconds; undefined when gone. */
const cpuSeconds = (pid: number | string) => procStat(pid)?.cpuS;

// One second of a 440 Hz tone as raw PCMU for SIPp's rtp_stream (looped), and 10 s of PCM for us.
const pcm = (seconds: number, hz: number) => Int16Array.from({ length: 8000 * seconds }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * hz * i) / 8000)));
const dir = mkdtempSync(join(tmpdir(), 'sip-bench-'));
const rtpFile = join(dir, 'tone.ulaw');
writeFileSync(rtpFile, encodeG711('PCMU', pcm(1, 440)));
const ourAudio = pcm(10, 1000);
// SIPp does not expand -key values inside rtp_stream, so the scenario gets the path written in.
const scenario = join(dir, 'uac-rtpstream.xml');
writeFileSync(scenario, readFileSync(join(SCENARIO_DIR, 'uac-rtpstream.xml'), 'utf8').replaceAll('[rtp_file]', rtpFile).replace('[codec]', '0'));

const port = await freeSipPort();
let framesIn = 0;
let callsWithAudio = 0;
let answered = 0;
const engine = await Uas.start(
  { sip: { address: '127.0.0.1', udpPort: port }, rtp: { address: '127.0.0.1', portMin: RTP_PORT_MIN, portMax: RTP_PORT_MIN + 2 * CALLS + 200 }, maxCalls: CALLS + 10, t1Ms: 500, rtpIo: RTP_IO, rtpPacer: { realtime: process.env.BENCH_RTP_REALTIME !== '0', leadMs: process.env.BENCH_RTP_LEAD_MS ? Number(process.env.BENCH_RTP_LEAD_MS) : undefined, phases: process.env.BENCH_RTP_PHASES ? Number(process.env.BENCH_RTP_PHASES) : undefined } },
  (call: Call) => {
    let got = 0;
    const onAudio = () => {
      framesIn++;
      if (got++ === 0) callsWithAudio++;
      if (LISTEN === 'none') call.off('audio', onAudio);
    };
    call.on('audio', onAudio);
    void call
      .answer()
      .then(async () => {
        answered++;
        while (call.state === 'answered') {
          const r = await call.play(ourAudio);
          if (!r.completed) break;
        }
      })
      .catch(() => undefined);
  },
);

let sippPid = 0;
let peakCalls = 0;
let sippCpu = 0;
const ourCpu0 = cpuSeconds('self')!;
let threads0 = threadCpu();
const t0 = Date.now();
let statsReset = false;
let steady0: { t: number; cpu: number; machine: ReturnType<typeof machineCpu> } | undefined;
let steady1: { t: number; cpu: number; threads: ReturnType<typeof threadCpu>; pacing: ReturnType<typeof engine.pacingStats>; machine: ReturnType<typeof machineCpu> } | undefined;
const sampler = setInterval(() => {
  peakCalls = Math.max(peakCalls, engine.activeCalls());
  if (sippPid) sippCpu = cpuSeconds(sippPid) ?? sippCpu;
  // Pacing is measured in the steady state, once every call is set up.
  if (!statsReset && engine.activeCalls() >= CALLS) {
    engine.resetPacingStats();
    threads0 = threadCpu();
    steady0 = { t: Date.now(), cpu: cpuSeconds('self')!, machine: machineCpu() };
    statsReset = true;
  }
  if (statsReset && !steady1 && engine.activeCalls() < CALLS) {
    steady1 = { t: Date.now(), cpu: cpuSeconds('self')!, threads: threadCpu(), pacing: engine.pacingStats(), machine: machineCpu() };
  }
}, 200);

console.log(`sip-load: ${CALLS} calls at ${RATE}/s, ${SECONDS} s each, SIPp rtp_stream both ways; RTP I/O ${engine.rtpIo}, audio listened: ${LISTEN}`);
const result = await runSipp({
  scenario,
  targetPort: port,
  localPort: await freeSipPort(),
  mediaPort: await freeSippMediaPort(),
  calls: CALLS,
  limit: CALLS,
  rate: RATE,
  pauseMs: SECONDS * 1000,
  keys: { rtp_file: rtpFile, codec: '0' },
  timeoutS: SECONDS + Math.ceil(CALLS / RATE) + 60,
  extraArgs: ['-max_socket', String(CALLS + 100)],
  onSpawn: (pid) => (sippPid = pid),
});
clearInterval(sampler);
const wall = (Date.now() - t0) / 1000;
const ourCpu = cpuSeconds('self')! - ourCpu0;
// Pacing and per-thread CPU cover the steady state: every call up, until the first one ends.
const steadyEnd = steady1 ?? { t: Date.now(), cpu: cpuSeconds('self')!, threads: threadCpu(), pacing: engine.pacingStats(), machine: machineCpu() };
const perScheduler = await steadyEnd.pacing;
// Per-packet figures where the pacer gives them; else the worst scheduler's ticks.
const measured = perScheduler.some((p) => p.measures === 'packets') ? perScheduler.filter((p) => p.measures === 'packets') : perScheduler;
const pacing = measured.reduce((w, p) => (p.p99Ms > w.p99Ms ? p : w), measured[0]!);
const skippedAll = perScheduler.reduce((n, p) => n + p.skipped, 0);
const m = engine.metrics();
const failed = (result.errors.match(/Aborting call|failed|unexpected/gi) ?? []).length;

console.log(`1. concurrent calls: peak ${peakCalls} of ${CALLS} (answered ${answered}, with caller audio ${callsWithAudio}); SIPp exit ${result.code}${result.killed ? ' (killed)' : ''}, error lines ${failed}; frames received ${framesIn}`);
const what = pacing.measures === 'packets' ? `${pacing.ticks} packets timed by the ${pacing.thread} thread` : `worst of ${perScheduler.length} scheduler(s): ${pacing.thread}, ${pacing.ticks} ticks, ${skippedAll} skipped in all`;
console.log(`2. RTP pacing (steady state, ${what}): p50 ${ms(pacing.p50Ms)}, p99 ${ms(pacing.p99Ms)}, max ${ms(pacing.maxMs)} (target p99 <= 2 ms); ${perScheduler.map((p) => `${p.thread} (${p.measures}) p99 ${ms(p.p99Ms)} max ${ms(p.maxMs)}`).join(', ')}`);
const counters = engine.pacerCounters();
if (counters) console.log(`   pacer: thread ${counters.policy}; lead ${engine.scheduler.leadMs} ms, ${engine.scheduler.phases} phases; rx dropped ${counters.rxDropped}, tx overflow ${counters.txOverflow}, tx errors ${counters.txErrors}, stale ${counters.txStale}`);
console.log(`3. call setup INVITE->200 in engine at ${RATE}/s: p50 ${ms(percentile(m.setupMs, 50))}, p99 ${ms(percentile(m.setupMs, 99))}, max ${ms(Math.max(...m.setupMs))} over ${m.setupMs.length} calls (target p99 <= 20 ms)`);
console.log(`4. CPU: ours ${ourCpu.toFixed(2)} s (${((100 * ourCpu) / wall).toFixed(0)}% of a core), SIPp ${sippCpu.toFixed(2)} s (${((100 * sippCpu) / wall).toFixed(0)}%); per call ours ${((1000 * ourCpu) / CALLS).toFixed(1)} ms vs SIPp ${((1000 * sippCpu) / CALLS).toFixed(1)} ms; ratio ours/SIPp ${(ourCpu / Math.max(sippCpu, 1e-9)).toFixed(2)}`);
if (steady0) {
  const span = (steadyEnd.t - steady0.t) / 1000;
  const busiest = [...steadyEnd.threads].map(([tid, t]) => ({ name: t.name, tid, pct: (100 * (t.s - (threads0.get(tid)?.s ?? 0))) / span })).sort((a, b) => b.pct - a.pct).slice(0, 5);
  const m0 = steady0.machine;
  const m1 = steadyEnd.machine;
  const machine = `machine (${cpus().length} cores) busy ${((100 * (m1.busy - m0.busy)) / (m1.total - m0.total)).toFixed(0)}%, steal ${((100 * (m1.steal - m0.steal)) / (m1.total - m0.total)).toFixed(0)}%`;
  console.log(`   steady state ${span.toFixed(1)} s: ${machine}; ours ${((100 * (steadyEnd.cpu - steady0.cpu)) / span).toFixed(0)}% of a core; busiest threads: ${busiest.map((b) => `${b.name}/${b.tid} ${b.pct.toFixed(0)}%`).join(', ')}`);
}
if (result.code !== 0) console.log(`SIPp errors (first lines):\n${result.errors.split('\n').slice(0, 10).join('\n')}`);
await engine.close();
process.exit(0);
