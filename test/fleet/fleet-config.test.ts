/**
 * The fleet's configuration pieces (dev/stack/fleet.ts, infra/kamailio/kamailio.cfg) and the
 * media core's answer to a load balancer's OPTIONS probe: 200 in rotation, 503 while draining.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fleetEdgeFiles, fleetMediaCoreConfig, KAMAILIO_CONFIG, mediaCorePortsFrom, sipOptionsStatus, splitRtpRange } from '../../dev/stack/fleet.ts';
import { parseConfig } from '../../media-core/config/load.ts';
import { Uas } from '../../media-core/engine/uas.ts';
import { freeSipPort } from '../../dev/free-ports.ts';

const KAMAILIO = ['/usr/sbin/kamailio', '/usr/local/sbin/kamailio'].find((p) => spawnSync(p, ['-v']).status === 0);

describe('fleet configuration', () => {
  test('the RTP range is split into even-aligned halves, one per media core', () => {
    assert.deepEqual(splitRtpRange(10000, 10099, 2), [{ min: 10000, max: 10049 }, { min: 10050, max: 10099 }]);
    assert.deepEqual(splitRtpRange(20000, 20199, 3).map((r) => r.min % 2), [0, 0, 0]);
    assert.throws(() => splitRtpRange(10000, 10002, 4), RangeError);
  });

  test('media core ports: FLEET_MEDIA_CORE_PORTS or SIP_PORT + 11, + 12; bad lists named', () => {
    assert.deepEqual(mediaCorePortsFrom({}, 5060), [5071, 5072]);
    assert.deepEqual(mediaCorePortsFrom({ FLEET_MEDIA_CORE_PORTS: '6001, 6002,6003' }, 5060), [6001, 6002, 6003]);
    assert.throws(() => mediaCorePortsFrom({ FLEET_MEDIA_CORE_PORTS: '6001,x' }, 5060), /FLEET_MEDIA_CORE_PORTS=6001,x/);
    assert.throws(() => mediaCorePortsFrom({ FLEET_MEDIA_CORE_PORTS: '70000' }, 5060), /FLEET_MEDIA_CORE_PORTS/);
  });

  test('dispatcher list (set 1) and address allowlist (group 1) in Kamailio file formats', () => {
    const f = fleetEdgeFiles([5071, 5072], '127.0.0.1', ['127.0.0.0/8', '54.172.60.0/30', '10.1.2.3']);
    assert.equal(f.dispatcher, '1 sip:127.0.0.1:5071 0 0 name=media-core-1\n1 sip:127.0.0.1:5072 0 0 name=media-core-2\n');
    assert.equal(f.addresses, '1 127.0.0.0 8 0 allowed\n1 54.172.60.0 30 0 allowed\n1 10.1.2.3 32 0 allowed\n');
  });

  test("the media cores' config: the demo's, valid, assistant paths absolute, trusted-proxy mode on", () => {
    const c = fleetMediaCoreConfig('media-core/config/demo.json', ['127.0.0.1/32']);
    assert.deepEqual((c.sip as { trustedProxies?: string[] }).trustedProxies, ['127.0.0.1/32']);
    const assistants = c.assistants as Record<string, { file: string }>;
    assert.ok(Object.values(assistants).every((a) => a.file.startsWith('/')), JSON.stringify(assistants));
    parseConfig(c, tmpdir(), 'fleet config'); // throws when invalid
    // Two cores on one machine share its cores for speech decoding.
    const shared = fleetMediaCoreConfig('media-core/config/demo.json', ['127.0.0.1/32'], 2).speechQueues as { sttDecoders: number };
    assert.equal(shared.sttDecoders, Math.max(1, Math.floor(availableParallelism() / 2)));
  });

  test('kamailio -c accepts infra/kamailio/kamailio.cfg with the fleet defines', { skip: KAMAILIO ? false : 'kamailio is not installed' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'kamailio-cfg-'));
    try {
      const f = fleetEdgeFiles([5071, 5072], '127.0.0.1', ['127.0.0.0/8']);
      writeFileSync(join(dir, 'dispatcher.list'), f.dispatcher);
      writeFileSync(join(dir, 'address.list'), f.addresses);
      // As npm run fleet runs it, and behind a load balancer (RR_ADDRESS).
      for (const extra of [[], ['-A', 'RR_ADDRESS="sip.example.com"']]) {
        const r = spawnSync(KAMAILIO!, ['-c', '-f', KAMAILIO_CONFIG, '-Y', dir, '-A', `DISPATCHER_LIST="${join(dir, 'dispatcher.list')}"`, '-A', `ADDRESS_LIST="${join(dir, 'address.list')}"`, ...extra, '-l', 'udp:127.0.0.1:5060'], { encoding: 'utf8', timeout: 20_000 });
        assert.equal(r.status, 0, r.stderr.slice(-2000));
        assert.match(`${r.stdout}${r.stderr}`, /config file ok/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('media core: OPTIONS for the load balancer', () => {
  test('200 while in rotation, 503 once draining', async () => {
    const port = await freeSipPort();
    const engine = await Uas.start({ sip: { address: '127.0.0.1', udpPort: port, tcpPort: port }, rtp: { address: '127.0.0.1', portMin: 42700, portMax: 42703 }, maxCalls: 'trial', rtpIo: 'dgram' }, (c) => c.reject(486));
    try {
      assert.equal(await sipOptionsStatus(port), 200);
      await engine.drain(0);
      assert.equal(await sipOptionsStatus(port), 503);
    } finally {
      await engine.close();
    }
  });
});

describe('Kamailio edge: source allowlist and per-source rate limit', { skip: KAMAILIO ? false : 'kamailio is not installed' }, () => {
  test('a source off the allowlist gets 403; an allowed one above PIKE_DENSITY is dropped', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kamailio-edge-'));
    const port = await freeSipPort();
    const f = fleetEdgeFiles([await freeSipPort()], '127.0.0.1', ['127.0.0.2/32']);
    writeFileSync(join(dir, 'dispatcher.list'), f.dispatcher);
    writeFileSync(join(dir, 'address.list'), f.addresses);
    const kamailio = spawn(
      KAMAILIO!,
      ['-f', KAMAILIO_CONFIG, '-DD', '-E', '-Y', dir, '-P', join(dir, 'k.pid'), '-m', '32', '-M', '4', '-l', `udp:127.0.0.1:${port}`,
        '-A', `DISPATCHER_LIST="${join(dir, 'dispatcher.list')}"`, '-A', `ADDRESS_LIST="${join(dir, 'address.list')}"`, '-A', 'PIKE_DENSITY=5', '-A', 'WORKERS=1', '-A', 'DS_PING_INTERVAL=30'],
      { stdio: 'ignore', detached: true },
    );
    try {
      let ready = false;
      for (let i = 0; i < 50 && !ready; i++) ready = (await sipOptionsStatus(port, '127.0.0.1', '127.0.0.2')) !== undefined;
      assert.ok(ready, 'Kamailio answers an allowed source');
      assert.equal(await sipOptionsStatus(port, '127.0.0.1', '127.0.0.1'), 403, '127.0.0.1 is not on the allowlist');
      assert.equal(await sipOptionsStatus(port, '127.0.0.1', '127.0.0.3'), 403);
      // The allowed source, 30 requests at once: pike lets about PIKE_DENSITY per 2 s through.
      const answers = await Promise.all(Array.from({ length: 30 }, () => sipOptionsStatus(port, '127.0.0.1', '127.0.0.2')));
      const answered = answers.filter((a) => a !== undefined).length;
      assert.ok(answered < 20, `${answered} of 30 answered; the rest dropped by pike`);
      assert.ok(answers.filter((a) => a !== undefined).every((a) => a === 200), `the answered ones are the proxy's own 200: ${answers}`);
    } finally {
      try {
        process.kill(-kamailio.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
