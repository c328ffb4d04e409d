/**
 * MAU you can read: callers counted once per month by the keyed hash (HMAC-MD5) of their
 * E.164 number, the key from SSM or the environment, and `npm run mau -- --month` printing
 * the count.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { getStore, type Store } from '../../lib/store/client.ts';
import { callerHash, countMonthlyActiveUser, setMauHashKey } from '../../lib/store/mau.ts';
import { loadMauHashKey, MIN_MAU_KEY_BYTES } from '../../lib/store/mau-key.ts';
import { ConfigError } from '../../lib/env.ts';
import { parseMauArgs } from '../../scripts/mau.ts';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';

const run = promisify(execFile);

describe('MAU', () => {
  let db: LocalDynamo;
  let store: Store;
  const key = randomBytes(32);
  before(async () => {
    db = await startDynalite('mau-state');
    store = getStore({ table: db.table, endpoint: db.endpoint });
  });
  after(async () => {
    setMauHashKey(undefined);
    await db.stop();
  });

  test('"+1555…", "1555…" and "+1 555 …" are one caller (E.164 before hashing)', async () => {
    setMauHashKey(key);
    const now = Date.parse('2026-12-05T10:00:00Z');
    assert.equal(await countMonthlyActiveUser(store, '+15551234567', now), true);
    assert.equal(await countMonthlyActiveUser(store, '15551234567', now), false);
    assert.equal(await countMonthlyActiveUser(store, '+1 (555) 123-4567', now), false);
    assert.equal(await countMonthlyActiveUser(store, '+15557654321', now), true);
    assert.equal(callerHash('15551234567'), callerHash('+15551234567'));
  });

  test('the stored value is HMAC-MD5 under the key, not the plain MD5 anyone can enumerate', async () => {
    const stored = (await store.doc.send(new ScanCommand({ TableName: store.table }))).Items!.map((i) => String(i.pk));
    const hmac = createHmac('md5', key).update('+15551234567').digest('hex');
    const md5 = createHash('md5').update('+15551234567').digest('hex');
    assert.ok(stored.includes(`mau#2026-12#${hmac}`), stored.join(' '));
    assert.ok(!stored.some((pk) => pk.includes(md5)));
    assert.ok(!stored.some((pk) => pk.includes('5551234567')), 'the number itself is never stored');
    setMauHashKey(undefined);
    assert.equal(callerHash('+15551234567'), md5, 'without a key: the product\'s plain MD5');
    setMauHashKey(key);
  });

  test('the key comes from MAU_HASH_KEY, else the SSM parameter MAU_HASH_KEY_PARAM; short or empty keys are refused without echoing them', async () => {
    const secret = randomBytes(24).toString('base64url');
    assert.deepEqual(await loadMauHashKey({ MAU_HASH_KEY: secret }), Buffer.from(secret));
    const asked: string[] = [];
    const fromSsm = await loadMauHashKey({ MAU_HASH_KEY_PARAM: '/app/test/mau/hash-key' }, async (name) => (asked.push(name), secret));
    assert.deepEqual(fromSsm, Buffer.from(secret));
    assert.deepEqual(asked, ['/app/test/mau/hash-key']);
    assert.equal(await loadMauHashKey({}), undefined);
    const short = 'x'.repeat(MIN_MAU_KEY_BYTES - 1);
    await assert.rejects(loadMauHashKey({ MAU_HASH_KEY: short }), (e: unknown) => e instanceof ConfigError && !(e as Error).message.includes(short));
    await assert.rejects(loadMauHashKey({ MAU_HASH_KEY_PARAM: '/p' }, async () => undefined), /empty or missing/);
  });

  test('npm run mau -- --month 2026-12 prints the monthly active users', async () => {
    const { stdout } = await run('npx', ['tsx', 'scripts/mau.ts', '--month', '2026-12'], {
      env: { ...process.env, STATE_TABLE: db.table, DYNAMODB_ENDPOINT: db.endpoint, AWS_REGION: 'us-east-1' },
      timeout: 30_000,
    });
    assert.match(stdout, /^monthly active users 2026-12: 2$/m);
    assert.equal(parseMauArgs([], Date.parse('2026-03-09T00:00:00Z')), '2026-03');
    assert.throws(() => parseMauArgs(['--month', '2026-13']), /yyyy-mm/);
    assert.throws(() => parseMauArgs(['--bogus']), /usage/);
  });
});
