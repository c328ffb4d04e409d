/**
 * A renewed TLS certificate is picked up without a restart (media-core/sip/transport.ts): new
 * handshakes get the new certificate, and files that do not load leave the previous one in use.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SipTransport } from '../../media-core/sip/transport.ts';

function makeCert(dir: string, name: string): { cert: string; key: string } {
  const key = join(dir, `${name}-key.pem`);
  const cert = join(dir, `${name}-cert.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return { cert, key };
}

/** The fingerprint of the certificate the listener presents to a new handshake. */
function served(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.destroy();
      resolve(fp);
    });
    s.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the TLS listener serves a renewed certificate to new handshakes, and keeps the old one when the new files do not load', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tls-reload-'));
  const a = makeCert(dir, 'first');
  const b = makeCert(dir, 'renewed');
  const c = makeCert(dir, 'other');
  const live = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  copyFileSync(a.cert, live.cert);
  copyFileSync(a.key, live.key);
  const fingerprint = (file: string) => execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' }).split('=')[1]!.trim();
  const transport = new SipTransport({ address: '127.0.0.1', tls: { port: 0, certFile: live.cert, keyFile: live.key, reloadIntervalMs: 50 } });
  await transport.start();
  t.after(async () => {
    await transport.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = transport.ports.tls!;
  assert.equal(await served(port), fingerprint(a.cert));

  copyFileSync(b.key, live.key);
  copyFileSync(b.cert, live.cert);
  let now = '';
  for (let i = 0; i < 40 && now !== fingerprint(b.cert); i++) {
    await sleep(50);
    now = await served(port);
  }
  assert.equal(now, fingerprint(b.cert), 'the renewed certificate within 2 s');

  // A certificate whose key is not the one beside it: refused, the renewed pair stays.
  copyFileSync(c.cert, live.cert);
  await sleep(300);
  assert.equal(await served(port), fingerprint(b.cert));
});
