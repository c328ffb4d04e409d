import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutcomeEvent, AdapterReply, type OutcomeEventInput } from '../../events/outcome.ts';

const base: OutcomeEventInput = {
  version: 1,
  outcomeId: 'outcome-0001',
  sipCallId: 'a84b4c76e66710@127.0.0.1',
  vendor: 'nice_cxone',
  kind: 'transfer',
  sessionHistoryKey: 'k'.repeat(22),
  occurredAt: '2026-11-22T10:00:00.000Z',
  niceCxone: { ContactId: '123456' },
};

test('a valid transfer outcome parses and custom_data defaults to {}', () => {
  const o = OutcomeEvent.parse(base);
  assert.deepEqual(o.customData, {});
  assert.equal(o.niceCxone?.ContactId, '123456');
});

test('a transfer without a session history key is refused, naming the field', () => {
  const r = OutcomeEvent.safeParse({ ...base, sessionHistoryKey: undefined });
  assert.equal(r.success, false);
  assert.ok(r.error!.issues.some((i) => i.path.join('.') === 'sessionHistoryKey'));
});

test('vendor context is required for Amazon Connect and NICE CXone outcomes', () => {
  const c = OutcomeEvent.safeParse({ ...base, vendor: 'amazon_connect', niceCxone: undefined });
  assert.ok(!c.success && c.error.issues.some((i) => i.path[0] === 'amazonConnect'));
  const n = OutcomeEvent.safeParse({ ...base, niceCxone: undefined });
  assert.ok(!n.success && n.error.issues.some((i) => i.path[0] === 'niceCxone'));
});

test('bad ids, versions and times are refused', () => {
  for (const bad of [{ outcomeId: 'short' }, { version: 2 }, { occurredAt: 'yesterday' }, { kind: 'park' }, { vendor: 'genesys' }]) {
    assert.equal(OutcomeEvent.safeParse({ ...base, ...bad }).success, false, JSON.stringify(bad));
  }
});

test('adapter replies are a discriminated union on status', () => {
  assert.equal(AdapterReply.safeParse({ status: 'applied', outcomeId: 'x', vendor: 'sip_trunk', duplicate: false, attempts: 1 }).success, true);
  assert.equal(AdapterReply.safeParse({ status: 'rejected', outcomeId: 'x', vendor: 'sip_trunk', reason: 'invalid_custom_data', message: 'p1 is reserved', attempts: 0 }).success, true);
  assert.equal(AdapterReply.safeParse({ status: 'rejected', outcomeId: 'x', vendor: 'sip_trunk', reason: 'nope', message: '', attempts: 0 }).success, false);
  assert.equal(AdapterReply.safeParse({ status: 'applied', outcomeId: 'x', vendor: 'sip_trunk', duplicate: false, attempts: -1 }).success, false);
});
