/** media-core/main.ts as a process: ready line, SIGTERM drains and exits 0; missing speech programs fail with the apt-get command. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { freeSipPort } from '../../dev/free-ports.ts';

function start(env: Record<string, string>) {
  const p = spawn(process.execPath, ['--import', 'tsx', 'media-core/main.ts'], { env: { ...process.env, LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((r) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', (c) => (clearTimeout(t), r(c)));
  });
  return { p, exit, out: () => out };
}

describe('media-core/main.ts', () => {
  test('prints a ready line and exits 0 on SIGTERM', async () => {
    const port = await freeSipPort();
    const base = 26000 + Math.floor(Math.random() * 1000) * 2;
    const m = start({ SIP_PORT: String(port), RTP_PORT_MIN: String(base), RTP_PORT_MAX: String(base + 10), DRAIN_DEADLINE_MS: '1000' });
    const end = Date.now() + 20_000;
    while (!m.out().includes('media core ready') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.match(m.out(), new RegExp(`media core ready: SIP 127\\.0\\.0\\.1 udp ${port} tcp ${port}; numbers \\+15550100001`));
    m.p.kill('SIGTERM');
    assert.equal(await m.exit, 0);
  });

  test('without espeak-ng and pocketsphinx it fails with the apt-get command', async () => {
    const m = start({ PATH: '/nonexistent' });
    assert.equal(await m.exit, 1);
    assert.match(m.out(), /apt-get install -y espeak-ng/);
    assert.match(m.out(), /apt-get install -y pocketsphinx pocketsphinx-en-us/);
  });

  test('a malformed environment variable is named in the error (zod, media-core/config/env.ts)', async () => {
    const m = start({ SESSION_HISTORY_TTL_DAYS: 'a week', SIP_PORT: '70000' });
    assert.equal(await m.exit, 1);
    assert.match(m.out(), /media core cannot start: invalid configuration: .*SIP_PORT: must be a port number/);
    assert.match(m.out(), /SESSION_HISTORY_TTL_DAYS/);
  });

  test('a malformed config file is named in the error', async () => {
    const m = start({ CONFIG_FILE: 'package.json' });
    assert.equal(await m.exit, 1);
    assert.match(m.out(), /media core cannot start: invalid configuration: package\.json: /);
  });
});
