import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { translateOutcome, TwilioTranslateError, UnsafeSipHeaderError } from '../../adapters/twilio/translate.ts';
import { withUriHeaders as formatReferTo } from '../../events/sip-header.ts';
import { parseReferTransferTarget } from '../../adapters/twilio/refer-target.ts';
import type { OutcomeEventInput } from '../../events/outcome.ts';

const outcome = (o: Partial<OutcomeEventInput> = {}): OutcomeEventInput => ({
  version: 1,
  outcomeId: 'outcome-0001',
  sipCallId: 'call-1@127.0.0.1',
  vendor: 'twilio_flex',
  kind: 'transfer',
  sessionHistoryKey: 'shk-123',
  occurredAt: '2026-11-22T00:00:00.000Z',
  ...o,
});

describe('translateOutcome (Twilio Flex)', () => {
  test('transfer -> REFER to sip:queue@flex.twilio.com with the key as a Refer-To header', () => {
    const a = translateOutcome(outcome());
    assert.deepEqual(a, {
      kind: 'refer',
      target: 'sip:queue@flex.twilio.com',
      referToHeaders: [{ name: 'X-Watson-Assistant-Session-History-Key', value: 'shk-123' }],
      headers: [],
      acceptCodes: [],
    });
  });

  test('configurable target and custom headers; the Refer-To round-trips through the refer-handler parser', () => {
    const a = translateOutcome(outcome({ sessionHistoryKey: 'k/ey=1 &x' }), { referTo: 'sip:support@flex.twilio.com', headers: [{ name: 'X-Tier', value: 'gold' }] });
    assert.equal(a.kind, 'refer');
    if (a.kind !== 'refer') return;
    const referTo = formatReferTo(a.target, a.referToHeaders);
    assert.equal(referTo, 'sip:support@flex.twilio.com?X-Watson-Assistant-Session-History-Key=k/ey%3D1%20%26x&X-Tier=gold');
    const parsed = parseReferTransferTarget(`<${referTo}>`);
    assert.equal(parsed.sessionHistoryKey, 'k/ey=1 &x');
    assert.deepEqual(parsed.headers[1], { name: 'X-Tier', value: 'gold' });
  });

  test('Refer-To over 256 characters -> error; exactly 256 passes', () => {
    const fixed = formatReferTo('sip:queue@flex.twilio.com', [{ name: 'X-Watson-Assistant-Session-History-Key', value: '' }]).length;
    assert.doesNotThrow(() => translateOutcome(outcome({ sessionHistoryKey: 'k'.repeat(256 - fixed) })));
    assert.throws(() => translateOutcome(outcome({ sessionHistoryKey: 'k'.repeat(257 - fixed) })), (e: unknown) => e instanceof TwilioTranslateError && /256/.test(e.message));
  });

  test('the 256-character check measures the Refer-To the media core sends, not another escaping of it', () => {
    // '/' and ':' are hnv-unreserved (RFC 3261 section 25.1): sent as is, one character each.
    const fixed = formatReferTo('sip:queue@flex.twilio.com', [{ name: 'X-Watson-Assistant-Session-History-Key', value: '' }]).length;
    const key = 'a/b:'.repeat(Math.floor((256 - fixed) / 4));
    const a = translateOutcome(outcome({ sessionHistoryKey: key }));
    assert.equal(a.kind, 'refer');
    if (a.kind !== 'refer') return;
    const sent = formatReferTo(a.target, a.referToHeaders);
    assert.ok(sent.length <= 256 && sent.includes(key), `sent ${sent.length} characters`);
  });

  test('hangup and error -> BYE without headers', () => {
    assert.deepEqual(translateOutcome(outcome({ kind: 'hangup', sessionHistoryKey: undefined })), { kind: 'bye', headers: [] });
    assert.deepEqual(translateOutcome(outcome({ kind: 'error', sessionHistoryKey: undefined })), { kind: 'bye', headers: [] });
  });

  test('wrong vendor, bad target, bad header name, contract violation -> errors', () => {
    assert.throws(() => translateOutcome(outcome({ vendor: 'sip_trunk' })), TwilioTranslateError);
    assert.throws(() => translateOutcome(outcome(), { referTo: 'https://flex' }), TwilioTranslateError);
    assert.throws(() => translateOutcome(outcome(), { headers: [{ name: 'Bad Name', value: 'x' }] }), UnsafeSipHeaderError);
    assert.throws(() => translateOutcome(outcome({ sessionHistoryKey: undefined })), /session history key/);
  });
});
