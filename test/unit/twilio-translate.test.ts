import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { translateTransfer, TwilioTranslateError, UnsafeSipHeaderError } from '../../adapters/twilio/translate.ts';
import { withUriHeaders as formatReferTo } from '../../events/sip-header.ts';
import { parseReferTransferTarget } from '../../adapters/twilio/refer-target.ts';

describe('translateTransfer (Twilio Flex)', () => {
  test('transfer -> REFER to sip:queue@flex.twilio.com with the key as a Refer-To header', () => {
    const a = translateTransfer('shk-123');
    assert.deepEqual(a, {
      kind: 'refer',
      target: 'sip:queue@flex.twilio.com',
      referToHeaders: [{ name: 'X-Watson-Assistant-Session-History-Key', value: 'shk-123' }],
      headers: [],
      acceptCodes: [],
    });
  });

  test('configurable target and custom headers; the Refer-To round-trips through the refer-handler parser', () => {
    const a = translateTransfer('k/ey=1 &x', { referTo: 'sip:support@flex.twilio.com', headers: [{ name: 'X-Tier', value: 'gold' }] });
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
    assert.doesNotThrow(() => translateTransfer('k'.repeat(256 - fixed)));
    assert.throws(() => translateTransfer('k'.repeat(257 - fixed)), (e: unknown) => e instanceof TwilioTranslateError && /256/.test(e.message));
  });

  test('the 256-character check measures the Refer-To the media core sends, not another escaping of it', () => {
    // '/' and ':' are hnv-unreserved (RFC 3261 section 25.1): sent as is, one character each.
    const fixed = formatReferTo('sip:queue@flex.twilio.com', [{ name: 'X-Watson-Assistant-Session-History-Key', value: '' }]).length;
    const key = 'a/b:'.repeat(Math.floor((256 - fixed) / 4));
    const a = translateTransfer(key);
    assert.equal(a.kind, 'refer');
    if (a.kind !== 'refer') return;
    const sent = formatReferTo(a.target, a.referToHeaders);
    assert.ok(sent.length <= 256 && sent.includes(key), `sent ${sent.length} characters`);
  });

  test('bad target, bad header name -> errors', () => {
    assert.throws(() => translateTransfer('shk-123', { referTo: 'https://flex' }), TwilioTranslateError);
    assert.throws(() => translateTransfer('shk-123', { headers: [{ name: 'Bad Name', value: 'x' }] }), UnsafeSipHeaderError);
  });
});
