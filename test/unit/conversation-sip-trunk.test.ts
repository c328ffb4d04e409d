import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { translateTransfer, translateHangup, SipTrunkTranslateError } from '../../adapters/sip-trunk/index.ts';

const key = 'AAAAAAAAAAAAAAAAAAAAAA';

describe('adapters/sip-trunk translate', () => {
  test('refer with custom_header (default): transfer headers and User-to-User on the REFER', () => {
    const a = translateTransfer({ uri: 'sip:user@domain.com', transfer_headers: [{ name: 'Customer-Header1', value: 'Some-Custom-Info' }], accept_transfer_reject_codes: ['410', '202'] }, key);
    assert.deepEqual(a, {
      kind: 'refer',
      target: 'sip:user@domain.com',
      referToHeaders: [],
      contactHeaders: [],
      headers: [{ name: 'Customer-Header1', value: 'Some-Custom-Info' }, { name: 'User-to-User', value: `${key};encoding=ascii` }],
      acceptCodes: [410, 202],
    });
  });
  test('refer_to_header puts headers in the Refer-To; own User-To-User moves the key to X-Watson-Assistant-Session-History-Key', () => {
    const a = translateTransfer({ uri: 'sip:user@domain.com', transfer_headers: [{ name: 'User-To-User', value: 'XXXXXX' }], transfer_headers_send_method: 'refer_to_header' }, key);
    assert.equal(a.kind, 'refer');
    if (a.kind !== 'refer') return;
    assert.deepEqual(a.headers, []);
    assert.deepEqual(a.referToHeaders, [{ name: 'User-To-User', value: 'XXXXXX' }, { name: 'X-Watson-Assistant-Session-History-Key', value: key }]);
  });
  test('contact_header puts the transfer headers and the key in the REFER Contact URI', () => {
    const a = translateTransfer({ uri: 'sip:user@domain.com', transfer_headers: [{ name: 'Customer-Header1', value: 'v' }], transfer_headers_send_method: 'contact_header' }, key);
    assert.ok(a.kind === 'refer');
    assert.deepEqual(a.headers, []);
    assert.deepEqual(a.referToHeaders, []);
    assert.deepEqual(a.contactHeaders, [{ name: 'Customer-Header1', value: 'v' }, { name: 'User-to-User', value: `${key};encoding=ascii` }]);
  });
  test('hangup method: BYE with the target in Transfer-Target (or a configured name)', () => {
    assert.deepEqual(translateTransfer({ uri: 'tel:+15550100999', transfer_method: 'hangup' }, key), {
      kind: 'bye',
      headers: [{ name: 'Transfer-Target', value: 'tel:+15550100999' }, { name: 'User-to-User', value: `${key};encoding=ascii` }],
    });
    const b = translateTransfer({ transfer_method: 'hangup' }, key, { agentUri: 'sip:a@b', transferTargetHeader: 'X-Target' });
    assert.equal(b.kind === 'bye' && b.headers[0]!.name, 'X-Target');
  });
  test('errors: no uri anywhere, bad uri, header over 1024 bytes, CRLF injection', () => {
    assert.throws(() => translateTransfer({}, key), SipTrunkTranslateError);
    assert.throws(() => translateTransfer({ uri: 'http://x' }, key), /sip: or tel:/);
    assert.throws(() => translateTransfer({ uri: 'sip:a@b', transfer_headers: [{ name: 'X-Big', value: 'é'.repeat(513) }] }, key), /over 1024 bytes/);
    assert.throws(() => translateHangup([{ name: 'X-A', value: 'a\r\nVia: evil' }]), /CR or LF/);
    assert.deepEqual(translateHangup([{ name: 'X-A', value: 'b' }]), { kind: 'bye', headers: [{ name: 'X-A', value: 'b' }] });
  });
});
