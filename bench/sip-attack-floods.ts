/**
 * Attack traffic against a SIP port on the loopback range, for the attack test
 * (test/sip/attack.test.ts) and `npm run bench -- sip-attack`. Every flood is bounded in
 * message count, connection count and duration, and stops by itself.
 *
 * - `malformed`: mutated RFC 4475 messages and pathological shapes over UDP, plus TCP
 *   connections carrying the same, from `source`.
 * - `slow-header`: TCP connections from `sources` that open a header section and trickle
 *   one octet at a time, never completing it (slowloris).
 * - `scan`: SIPVicious-style OPTIONS and INVITE sweep over UDP from `source` (meant to be a
 *   non-allowlisted address such as 127.0.0.2), counting any answer.
 *
 * Run it in a child process (runFloodInChild) so the attacker's own CPU does not sit on the
 * event loop under test.
 */
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
import { PATHOLOGICAL_SHAPES } from './sip-parse-shapes.ts';

export type FloodKind = 'malformed' | 'slow-header' | 'scan';

export interface FloodOptions {
  kind: FloodKind;
  /** SIP port on 127.0.0.1 (UDP and TCP). */
  port: number;
  /** Source address(es) on the loopback range; the first is used by UDP floods. */
  sources: string[];
  /** Stop after this long, ms. */
  durationMs: number;
  /** Most messages (UDP datagrams or TCP messages) sent in all. */
  maxMessages: number;
  /** Most TCP connections opened in all (slow-header, malformed). */
  maxConnections?: number;
  /** Datagrams per second to aim for (UDP floods). Default 5000. */
  ratePerS?: number;
}

export interface FloodResult {
  kind: FloodKind;
  sent: number;
  /** Datagrams or stream octets that came back (a scan must get 0). */
  answers: number;
  connectionsOpened: number;
  /** Connections the target closed before the flood ended. */
  connectionsClosedByTarget: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const corpusDir = fileURLToPath(new URL('../test/fixtures/rfc4475/', import.meta.url));

/** Deterministic pseudo-random numbers (xorshift32), so floods are reproducible. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

function malformedMessages(count: number): Buffer[] {
  const corpus = readdirSync(corpusDir).filter((f) => f.endsWith('.dat')).map((f) => readFileSync(corpusDir + f));
  const shapes = PATHOLOGICAL_SHAPES.map((s) => s.build(s.smallBytes));
  const rand = rng(4475);
  const out: Buffer[] = [...shapes];
  while (out.length < count) {
    const b = Buffer.from(corpus[Math.floor(rand() * corpus.length)]!);
    for (let k = 0; k < 4; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    out.push(b);
  }
  return out;
}

function scanRequest(method: 'OPTIONS' | 'INVITE', i: number, port: number, source: string): Buffer {
  return Buffer.from(
    [
      `${method} sip:${100 + (i % 900)}@127.0.0.1:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP ${source}:5060;branch=z9hG4bKscan${i}`,
      'Max-Forwards: 70',
      `From: "sipvicious"<sip:100@1.1.1.1>;tag=${i.toString(16)}`,
      `To: "sipvicious"<sip:100@1.1.1.1>`,
      `Call-ID: scan${i}`,
      `CSeq: 1 ${method}`,
      'Contact: <sip:100@1.1.1.1:5060>',
      'User-Agent: friendly-scanner',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

async function udpFlood(o: FloodOptions, next: (i: number) => Buffer): Promise<FloodResult> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, o.sources[0], () => r()));
  let answers = 0;
  s.on('message', () => answers++);
  const rate = o.ratePerS ?? 5000;
  const t0 = Date.now();
  let sent = 0;
  while (sent < o.maxMessages && Date.now() - t0 < o.durationMs) {
    const due = Math.min(o.maxMessages, Math.floor(((Date.now() - t0) / 1000) * rate) + 1);
    for (; sent < due; sent++) s.send(next(sent), o.port, '127.0.0.1');
    await sleep(5);
  }
  await sleep(300); // answers still in flight
  s.close();
  return { kind: o.kind, sent, answers, connectionsOpened: 0, connectionsClosedByTarget: 0 };
}

function openConn(o: FloodOptions, source: string, stats: { opened: number; closed: number; answers: number }): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = connect({ port: o.port, host: '127.0.0.1', localAddress: source });
    let done = false;
    s.on('error', () => undefined);
    s.on('data', (d) => (stats.answers += d.length));
    s.once('connect', () => {
      stats.opened++;
      done = true;
      resolve(s);
    });
    s.once('close', () => {
      if (done) stats.closed++;
      else resolve(undefined);
    });
  });
}

async function slowHeader(o: FloodOptions): Promise<FloodResult> {
  const stats = { opened: 0, closed: 0, answers: 0 };
  const socks: Socket[] = [];
  const max = o.maxConnections ?? 200;
  const t0 = Date.now();
  let sent = 0;
  for (let i = 0; i < max && Date.now() - t0 < o.durationMs; i++) {
    const s = await openConn(o, o.sources[i % o.sources.length]!, stats);
    if (!s) continue;
    s.write(`INVITE sip:+15550100001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP ${o.sources[0]};branch=z9hG4bKslow${i}\r\n`);
    socks.push(s);
  }
  while (Date.now() - t0 < o.durationMs && sent < o.maxMessages) {
    for (const s of socks) if (!s.destroyed && sent < o.maxMessages) (s.write('X'), sent++);
    await sleep(250);
  }
  for (const s of socks) s.destroy();
  return { kind: o.kind, sent, answers: stats.answers, connectionsOpened: stats.opened, connectionsClosedByTarget: stats.closed };
}

/** Runs one flood in this thread. */
export async function runFlood(o: FloodOptions): Promise<FloodResult> {
  if (o.kind === 'scan') return udpFlood(o, (i) => scanRequest(i % 2 ? 'INVITE' : 'OPTIONS', i, o.port, o.sources[0]!));
  if (o.kind === 'slow-header') return slowHeader(o);
  const msgs = malformedMessages(512);
  // A share of the malformed traffic goes over TCP: a few connections, each fed messages until the target closes it.
  const stats = { opened: 0, closed: 0, answers: 0 };
  const tcp = (async () => {
    for (let c = 0; c < (o.maxConnections ?? 20); c++) {
      const s = await openConn(o, o.sources[c % o.sources.length]!, stats);
      if (!s) continue;
      for (let k = 0; k < 20 && !s.destroyed; k++) s.write(msgs[(c * 20 + k) % msgs.length]!);
      await sleep(o.durationMs / (o.maxConnections ?? 20));
      s.destroy();
    }
  })();
  const udp = await udpFlood(o, (i) => msgs[i % msgs.length]!);
  await tcp;
  return { ...udp, answers: udp.answers + stats.answers, connectionsOpened: stats.opened, connectionsClosedByTarget: stats.closed };
}

/** Runs one flood in a child process (its own event loop and heap); resolves with its result. Killed if it overruns by 10 s. */
export function runFloodInChild(o: FloodOptions): Promise<FloodResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(o)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), o.durationMs + 10_000);
    child.once('message', (r) => resolve(r as FloodResult));
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(killer);
      if (code !== 0) reject(new Error(`flood process exited ${code}`));
    });
  });
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2]) {
  const o = JSON.parse(process.argv[2]) as FloodOptions;
  void runFlood(o).then((r) => process.send!(r, () => process.exit(0)));
}
