import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import alawmulaw from 'alawmulaw';
import { WatsonTts } from '../../media-core/conversation/speech/tts-watson.ts';
import { WatsonStt } from '../../media-core/conversation/speech/stt-watson.ts';
import { IamTokenSource } from '../../media-core/conversation/iam.ts';

let server: Server;
let wss: WebSocketServer;
let base = '';
const wsLog: { url: string; auth?: string; start?: Record<string, unknown>; bytes: number; stop: boolean }[] = [];
let ttsQuery = '';

before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/identity/token') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'tok', expires_in: 3600 }));
    if (req.url?.startsWith('/v1/synthesize')) {
      ttsQuery = req.url;
      res.writeHead(200, { 'content-type': 'audio/mulaw;rate=8000' });
      // 5 chunks of 100 ms each, 150 ms apart: a slow synthesis.
      let n = 0;
      const tick = () => {
        res.write(Buffer.from(alawmulaw.mulaw.encode(new Int16Array(800).fill(4000))));
        if (++n < 5) setTimeout(tick, 150);
        else res.end();
      };
      tick();
      return;
    }
    res.writeHead(404).end();
  });
  wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    const entry = { url: req.url!, auth: req.headers.authorization, bytes: 0, stop: false } as (typeof wsLog)[number];
    wsLog.push(entry);
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        entry.bytes += (data as Buffer).length;
        if (entry.bytes === 320 * 3) ws.send(JSON.stringify({ result_index: 0, results: [{ final: false, alternatives: [{ transcript: 'i want' }] }] }));
        return;
      }
      const m = JSON.parse(data.toString());
      if (m.action === 'start') {
        entry.start = m;
        ws.send(JSON.stringify({ state: 'listening' }));
      }
      if (m.action === 'stop') {
        entry.stop = true;
        ws.send(JSON.stringify({ result_index: 0, results: [{ final: true, alternatives: [{ transcript: 'i want an agent ', confidence: 0.91 }] }] }));
        ws.send(JSON.stringify({ state: 'listening' }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const c of wss.clients) c.terminate();
  wss.close();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('IBM Watson speech over local stubs', () => {
  test('TTS streams: the first audio arrives long before synthesis finishes', async () => {
    const iam = new IamTokenSource(`http://${base}/identity/token`, 'k');
    const tts = new WatsonTts({ url: `http://${base}`, voice: 'en-US_AllisonV3Voice', timeoutMs: 5000, iam });
    const t0 = performance.now();
    const src = await tts.synthesize('a long text', { voice: 'en-US_MichaelV3Voice', rate_percentage: 10 });
    let first = 0;
    let samples = 0;
    for await (const c of src) {
      first ||= performance.now() - t0;
      samples += c.length;
      assert.ok(c.every((s) => Math.abs(s - 4000) < 200), 'decoded mu-law');
    }
    const total = performance.now() - t0;
    assert.equal(samples, 4000);
    assert.ok(first < 200 && total > 550, `first ${first.toFixed(0)} ms, total ${total.toFixed(0)} ms`);
    assert.match(ttsQuery, /voice=en-US_MichaelV3Voice/);
    assert.match(ttsQuery, /rate_percentage=10/);
  });

  test('STT over WebSocket: narrowband model, interim results, final result on stop', async () => {
    const iam = new IamTokenSource(`http://${base}/identity/token`, 'k');
    const interim: string[] = [];
    const stt = new WatsonStt({ url: `ws://${base}`, model: 'en-US_NarrowbandModel', iam, onInterim: (r) => interim.push(r.results[0]!.alternatives[0]!.transcript) });
    const rec = stt.open({ narrowband_recognize: { smart_formatting: true } });
    for (let i = 0; i < 5; i++) rec.write(new Int16Array(160).fill(i));
    await new Promise((r) => setTimeout(r, 100));
    rec.end();
    const r = await rec.result;
    assert.equal(r.results[0]!.alternatives[0]!.transcript, 'i want an agent ');
    assert.deepEqual(interim, ['i want']);
    const e = wsLog[0]!;
    assert.match(e.url, /^\/v1\/recognize\?model=en-US_NarrowbandModel$/);
    assert.equal(e.auth, 'Bearer tok');
    assert.equal(e.start!['content-type'], 'audio/l16;rate=8000;endianness=little-endian');
    assert.equal(e.start!.interim_results, true);
    assert.equal(e.start!.smart_formatting, true);
    assert.equal(e.bytes, 1600);
    assert.equal(e.stop, true);
  });

  test('STT: an unreachable service rejects the result', async () => {
    const iam = new IamTokenSource(`http://${base}/identity/token`, 'k');
    const stt = new WatsonStt({ url: 'ws://127.0.0.1:9', model: 'm', iam });
    const rec = stt.open({});
    rec.end();
    await assert.rejects(rec.result, /Watson STT connection failed/);
  });
});
