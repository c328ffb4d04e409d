/**
 * The media core's environment through zod (media-core/config/env.ts, lib/env.ts) and
 * SESSION_HISTORY_TTL_DAYS (issue 12 item 7, issue 14 item 5): malformed values are named.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadMediaCoreEnv } from '../../media-core/config/env.ts';
import { sessionHistoryTtlDays } from '../../lib/store/session-history.ts';
import { ConfigError } from '../../lib/env.ts';

const refused = (env: Record<string, string>, variable: string) =>
  assert.throws(() => loadMediaCoreEnv(env), (e: unknown) => e instanceof ConfigError && e.variables.includes(variable) && e.message.includes(variable), `${JSON.stringify(env)} names ${variable}`);

describe('media-core/config/env.ts', () => {
  test('defaults, typed (numbers, plan, booleans)', () => {
    const e = loadMediaCoreEnv({});
    assert.equal(e.SIP_HOST, '127.0.0.1');
    assert.equal(e.SIP_PORT, 5060);
    assert.equal(e.RTP_PORT_MIN, 10000);
    assert.equal(e.RTP_PORT_MAX, 10999);
    assert.equal(e.MAX_CALLS, 'trial');
    assert.equal(e.RTP_IO, 'auto');
    assert.equal(e.RTP_PACER_REALTIME, true);
    assert.equal(e.SESSION_HISTORY_TTL_DAYS, 7);
    assert.equal(e.CONFIG_FILE, 'media-core/config/demo.json');
  });
  test('values parsed', () => {
    const e = loadMediaCoreEnv({ SIP_PORT: '22050', MAX_CALLS: '250', RTP_PACER_REALTIME: '0', RTP_PACER_LEAD_MS: '60', SESSION_HISTORY_TTL_DAYS: '30', SIP_TLS_PORT: '22051', SIP_TLS_CERT_FILE: 'c.pem', SIP_TLS_KEY_FILE: 'k.pem' });
    assert.equal(e.SIP_PORT, 22050);
    assert.equal(e.MAX_CALLS, 250);
    assert.equal(e.RTP_PACER_REALTIME, false);
    assert.equal(e.RTP_PACER_LEAD_MS, 60);
    assert.equal(e.SESSION_HISTORY_TTL_DAYS, 30);
    assert.equal(e.SIP_TLS_PORT, 22051);
  });
  test('malformed values are named', () => {
    refused({ SIP_PORT: '70000' }, 'SIP_PORT');
    refused({ SIP_PORT: 'five' }, 'SIP_PORT');
    refused({ RTP_PORT_MIN: '20000', RTP_PORT_MAX: '10000' }, 'RTP_PORT_MIN');
    refused({ MAX_CALLS: 'lots' }, 'MAX_CALLS');
    refused({ RTP_PACER_LEAD_MS: '1.5' }, 'RTP_PACER_LEAD_MS');
    refused({ RTP_IO: 'uring' }, 'RTP_IO');
    refused({ RTP_PACER_LEAD_MS: '301' }, 'RTP_PACER_LEAD_MS');
    refused({ RTP_PACER_REALTIME: 'yes' }, 'RTP_PACER_REALTIME');
    refused({ LAMBDA_ENDPOINT: 'not a url' }, 'LAMBDA_ENDPOINT');
    refused({ SIP_TLS_PORT: '5061' }, 'SIP_TLS_CERT_FILE');
    refused({ SESSION_HISTORY_TTL_DAYS: 'abc' }, 'SESSION_HISTORY_TTL_DAYS');
    refused({ SESSION_HISTORY_TTL_DAYS: '0' }, 'SESSION_HISTORY_TTL_DAYS');
    refused({ SESSION_HISTORY_TTL_DAYS: '3650' }, 'SESSION_HISTORY_TTL_DAYS');
  });
});

describe('SESSION_HISTORY_TTL_DAYS for the session history writer', () => {
  test('validated: whole days 1-365, default 7', () => {
    assert.equal(sessionHistoryTtlDays({}), 7);
    assert.equal(sessionHistoryTtlDays({ SESSION_HISTORY_TTL_DAYS: '14' }), 14);
    for (const bad of ['abc', '0', '-1', '1.5', '366', 'NaN']) {
      assert.throws(() => sessionHistoryTtlDays({ SESSION_HISTORY_TTL_DAYS: bad }), (e: unknown) => e instanceof ConfigError && e.variables.includes('SESSION_HISTORY_TTL_DAYS'), bad);
    }
  });
});
