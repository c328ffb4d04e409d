import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReferTransferTarget, decodeUserToUser } from '../../adapters/twilio/refer-target.ts';
import { studioReturnUrl, studioRedirectTwiml } from '../../adapters/twilio/twiml.ts';
import { TwilioInputError } from '../../adapters/twilio/errors.ts';

const KEY = 'X-Watson-Assistant-Session-History-Key';
const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

describe('parseReferTransferTarget shapes', () => {
  test('sip: without <>', () => {
    const t = parseReferTransferTarget(`sip:queue@flex.twilio.com?${KEY}=k1`);
    assert.deepEqual(t, { uri: 'sip:queue@flex.twilio.com', scheme: 'sip', headers: [{ name: KEY, value: 'k1' }], sessionHistoryKey: 'k1', keySource: 'header' });
  });

  test('sip: inside <> with a display name and a parameter after >', () => {
    const t = parseReferTransferTarget(`"Flex" <sip:queue@flex.twilio.com?${KEY}=k2>;method=INVITE`);
    assert.equal(t.uri, 'sip:queue@flex.twilio.com');
    assert.equal(t.sessionHistoryKey, 'k2');
  });

  test('tel: target with headers', () => {
    const t = parseReferTransferTarget(`<tel:+15550100003?${KEY}=k3>`);
    assert.equal(t.scheme, 'tel');
    assert.equal(t.uri, 'tel:+15550100003');
    assert.equal(t.sessionHistoryKey, 'k3');
  });

  test('URL-encoded header values are decoded, + kept literal', () => {
    const t = parseReferTransferTarget(`<sip:queue@flex.twilio.com?${KEY}=a%2Fb%3Dc%20d+e>`);
    assert.equal(t.sessionHistoryKey, 'a/b=c d+e');
  });

  test('a whole target percent-encoded once', () => {
    const t = parseReferTransferTarget(`sip%3Aqueue%40flex.twilio.com%3F${KEY}%3Dk4`);
    assert.equal(t.uri, 'sip:queue@flex.twilio.com');
    assert.equal(t.sessionHistoryKey, 'k4');
  });

  test('several headers, key not first, names case-insensitive', () => {
    const t = parseReferTransferTarget(`<sip:queue@flex.twilio.com?X-Tier=gold&x-watson-assistant-session-history-key=k5&X-Empty=&X-Flag>`);
    assert.deepEqual(t.headers.map((h) => h.name), ['X-Tier', 'x-watson-assistant-session-history-key', 'X-Empty', 'X-Flag']);
    assert.equal(t.headers[0]!.value, 'gold');
    assert.equal(t.sessionHistoryKey, 'k5');
  });

  test('header wins over User-to-User', () => {
    const t = parseReferTransferTarget(`<sip:q@x?User-to-User=${hex('uui')}%3Bencoding%3Dhex&${KEY}=hdr>`);
    assert.equal(t.sessionHistoryKey, 'hdr');
    assert.equal(t.keySource, 'header');
  });

  test('User-to-User ;encoding=hex', () => {
    const t = parseReferTransferTarget(`<sip:q@x?User-to-User=${hex('key-hex-1')}%3Bencoding%3Dhex>`);
    assert.equal(t.sessionHistoryKey, 'key-hex-1');
    assert.equal(t.keySource, 'user-to-user');
  });

  test('User-to-User ;encoding=ascii', () => {
    const t = parseReferTransferTarget(`<sip:q@x?User-to-User=key-ascii-1%3Bencoding%3Dascii>`);
    assert.equal(t.sessionHistoryKey, 'key-ascii-1');
  });

  test('User-to-User encoded twice inside the URI headers', () => {
    const t = parseReferTransferTarget(`<sip:q@x?User-to-User=key-ascii-2%253Bencoding%253Dascii>`);
    assert.equal(t.sessionHistoryKey, 'key-ascii-2');
  });

  test('User-to-User with a raw ; and a purpose parameter', () => {
    const t = parseReferTransferTarget(`sip:q@x?User-to-User=${hex('k6')};purpose=isdn-uui;encoding=hex`);
    assert.equal(t.sessionHistoryKey, 'k6');
  });

  test('no key anywhere', () => {
    for (const v of ['sip:queue@flex.twilio.com', '<sip:queue@flex.twilio.com>', 'sip:q@x?X-Other=1', 'sip:q@x?User-to-User=zz%3Bencoding%3Dhex']) {
      const t = parseReferTransferTarget(v);
      assert.equal(t.sessionHistoryKey, undefined, v);
      assert.equal(t.keySource, undefined, v);
    }
  });

  test('a key with control characters is ignored', () => {
    assert.equal(parseReferTransferTarget(`sip:q@x?${KEY}=a%0Ab`).sessionHistoryKey, undefined);
  });

  test('missing or empty target -> TwilioInputError (400)', () => {
    for (const v of [undefined, '', '   ', 42]) {
      assert.throws(() => parseReferTransferTarget(v), (e: unknown) => e instanceof TwilioInputError && e.statusCode === 400);
    }
  });
});

describe('decodeUserToUser', () => {
  test('hex is the RFC 7433 default; bad hex gives undefined', () => {
    assert.equal(decodeUserToUser(hex('abc')), 'abc');
    assert.equal(decodeUserToUser('abc'), undefined);
    assert.equal(decodeUserToUser('414;encoding=hex'), undefined);
    assert.equal(decodeUserToUser(';encoding=ascii'), undefined);
  });
});

describe('Studio redirect', () => {
  const studio = 'https://webhooks.twilio.com/v1/Accounts/AC0/Flows/FW0';
  test('key values are percent-encoded in the query', () => {
    const u = studioReturnUrl(studio, 'a&b=c d/é#');
    assert.equal(u, `${studio}?FlowEvent=return&SessionHistoryKey=a%26b%3Dc+d%2F%C3%A9%23`);
    assert.equal(new URL(u).searchParams.get('SessionHistoryKey'), 'a&b=c d/é#');
  });
  test('XML special characters are escaped in TwiML', () => {
    const x = studioRedirectTwiml(studio, '<k>');
    assert.match(x, /<Redirect method="POST">[^<]*SessionHistoryKey=%3Ck%3E<\/Redirect>/);
    assert.match(x, /FlowEvent=return&amp;SessionHistoryKey/);
  });
  test('an existing query on the Studio URL is kept', () => {
    assert.equal(studioReturnUrl(`${studio}?x=1`), `${studio}?x=1&FlowEvent=return`);
  });
});
