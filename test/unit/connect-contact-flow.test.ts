/**
 * The flow-invoked Amazon Connect function and the contact registry: registration from a
 * ContactFlowEvent, lookup by the INVITE's Request-URI user and From user (with or without
 * "+") or by contact id, expiry, the screen-pop string map; and the sample events parse.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { verifyViewToken } from '../../adapters/agent-view/link.ts';
import type { ConnectContactFlowEvent, Context } from 'aws-lambda';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';
import { getStore, type Store } from '../../lib/store/client.ts';
import { findRegisteredContact, registerContact } from '../../lib/store/contact-registry.ts';
import { screenPopAttributes } from '../../adapters/amazon-connect/index.ts';
import { OutcomeEvent } from '../../events/outcome.ts';
import { verifyContactToken } from '../../lib/contact-token.ts';
import { connectTokenVendor } from '../../adapters/amazon-connect/contact-id.ts';

const load = (p: string) => JSON.parse(readFileSync(new URL(`../../events/${p}`, import.meta.url), 'utf8'));
let dyn: LocalDynamo;
/** A fake link secret generated per run. */
const linkSecret = randomBytes(32).toString('base64url');
let store: Store;

before(async () => {
  dyn = await startDynalite();
  process.env.STATE_TABLE = dyn.table;
  process.env.DYNAMODB_ENDPOINT = dyn.endpoint;
  process.env.AGENT_SCREEN_POP_BASE_URL = 'https://agent.example.test/';
  process.env.SCREEN_POP_SECRET = linkSecret;
  // A fake secret generated per run.
  process.env.CONTACT_TOKEN_SECRET = randomBytes(32).toString('base64url');
  store = getStore({ table: dyn.table, endpoint: dyn.endpoint });
});
after(async () => dyn?.stop());

describe('contact-flow function', () => {
  test('registers the contact and answers a flat string map; the media core finds it by numbers or id', async () => {
    const { handler } = await import('../../functions/amazon-connect/contact-flow.ts');
    const event = load('contact-flow/register-contact.json') as ConnectContactFlowEvent;
    const out = (await handler(event, {} as Context)) as Record<string, unknown>;
    const c = event.Details.ContactData;
    assert.deepEqual({ ...out, contactToken: undefined }, { registered: 'true', contactToken: undefined, sessionHistoryKey: '', screenPopURL: '' });
    const v = verifyContactToken(out.contactToken as string, { vendor: connectTokenVendor, secrets: [process.env.CONTACT_TOKEN_SECRET!] });
    assert.deepEqual(v.ok && v.contactId, c.ContactId, 'the token names the contact');
    const byNumbers = await findRegisteredContact(store, { calledNumber: '15550100999', callerNumber: '+15550100001' });
    assert.equal(byNumbers?.InitialContactId, c.InitialContactId);
    assert.equal(byNumbers?.InstanceId, '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d');
    assert.equal(byNumbers?.customerNumber, '+15550100001', 'stored as given');
    const byId = await findRegisteredContact(store, { calledNumber: 'x', callerNumber: 'y', contactId: c.ContactId });
    assert.equal(byId?.ContactId, c.ContactId);
    assert.equal(await findRegisteredContact(store, { calledNumber: '15550100999', callerNumber: '15550100002' }), undefined);
  });

  test('after the transfer: screenPopURL and sessionHistoryKey from the SessionHistoryKey attribute; not for "hangup"', async () => {
    const { handler } = await import('../../functions/amazon-connect/contact-flow.ts');
    const out = (await handler(load('contact-flow/after-transfer.json'), {} as Context)) as Record<string, string>;
    assert.equal(out.sessionHistoryKey, 'q3VdT1xO8mC0rJvY2kQm9A');
    const url = new URL(out.screenPopURL!);
    assert.equal(`${url.origin}${url.pathname}`, 'https://agent.example.test/agent');
    assert.equal(url.searchParams.get('session_history_key'), null, 'no unsigned link');
    const check = verifyViewToken(url.searchParams.get('view') ?? '', linkSecret);
    assert.ok(check.ok && check.key === 'q3VdT1xO8mC0rJvY2kQm9A', 'a signed view link for the key');
    assert.ok(check.ok && Math.abs(check.expiresAt * 1000 - (Date.now() + 3600_000)) < 5000, 'valid 1 hour after the transfer');
    assert.ok(Object.values(out).every((v) => typeof v === 'string'));
    assert.deepEqual(screenPopAttributes(load('contact-flow/after-hangup.json'), 'https://a'), { sessionHistoryKey: '', screenPopURL: '' });
  });

  test('a malformed event is answered (registered false), not thrown', async () => {
    const { handler } = await import('../../functions/amazon-connect/contact-flow.ts');
    const out = (await handler({ Name: 'ContactFlowEvent', Details: { ContactData: {} } } as unknown as ConnectContactFlowEvent, {} as Context)) as Record<string, string>;
    assert.equal(out.registered, 'false');
  });

  test('registrations expire after their TTL', async () => {
    const reg = { ContactId: 'c-exp', InitialContactId: 'c-exp', InstanceARN: 'arn:aws:connect:us-east-1:123456789012:instance/i', InstanceId: 'i', dialedNumber: '+15550100777', customerNumber: '+15550100778', registeredAt: new Date().toISOString() };
    await registerContact(store, reg, 600, Date.now() - 601_000);
    assert.equal(await findRegisteredContact(store, { calledNumber: reg.dialedNumber, callerNumber: reg.customerNumber }), undefined);
    await registerContact(store, reg, 600);
    assert.equal((await findRegisteredContact(store, { calledNumber: reg.dialedNumber, callerNumber: reg.customerNumber }))?.ContactId, 'c-exp');
  });
});

test('every outcome sample parses against the contract', () => {
  const dir = new URL('../../events/samples/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 10);
  for (const f of files) assert.ok(OutcomeEvent.safeParse(load(`samples/${f}`)).success, f);
});
