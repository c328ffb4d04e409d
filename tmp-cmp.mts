import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { Scheduler } from './media-core/media/scheduler.ts';
import { PortPool } from './media-core/media/port-pool.ts';
import { RtpSession } from './media-core/media/rtp-session.ts';
import { decodeG711 } from './media-core/media/g711.ts';
const sink = createSocket('udp4'); await new Promise<void>(r => sink.bind(0, '127.0.0.1', () => r())); sink.on('message', () => {});
const port = sink.address().port;
const pool = new PortPool({ address: '127.0.0.1', min: 41000, max: 41998 }); const scheduler = new Scheduler();
const sessions: RtpSession[] = []; for (let i = 0; i < 100; i++) sessions.push(await RtpSession.open({ portPool: pool, scheduler, codec: 'PCMU', payloadType: 0, remote: { address: '127.0.0.1', port } }));
const pcm = decodeG711('PCMU', randomBytes(160 * 5000)); sessions.forEach(s => s.play(pcm)); scheduler.dispose();
const socks = await Promise.all(Array.from({length: 100}, () => new Promise<any>(r => { const s = createSocket('udp4'); s.bind(0, '127.0.0.1', () => r(s)); })));
const buf = Buffer.alloc(172, 1);
const imm = () => new Promise(r => setImmediate(r));
let slot = 0;
async function run(name: string, fn: (i: number) => void) {
  const t = process.cpuUsage(); for (let r = 0; r < 300; r++) { for (let i = 0; i < 100; i++) fn(i); slot++; await imm(); } await new Promise(r => setTimeout(r, 20));
  const u = process.cpuUsage(t); console.log(name, ((u.user + u.system) / 30000).toFixed(2), 'µs CPU/packet');
}
for (let k = 0; k < 3; k++) {
  await run('raw send', (i) => socks[i].send(buf, 0, 172, port, '127.0.0.1'));
  await run('session tick', (i) => sessions[i]!.tick(slot));
  await run('tick, no send (held)', (i) => { sessions[i]!.hold(true); sessions[i]!.tick(slot); sessions[i]!.hold(false); });
}
process.exit(0);
