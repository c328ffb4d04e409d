/**
 * Phone numbers as the hosted product manages them: E.164 normalization, the numbers CSV
 * (RFC 4180), the list in the state table replaced as a whole, routing by that list without
 * a restart, and `npm run numbers -- import|list|export`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsv, CsvError } from '../../lib/csv.ts';
import { formatNumbersCsv, parseNumbersCsv } from '../../lib/numbers-csv.ts';
import { PhoneNumberError, toE164Strict } from '../../lib/phone.ts';
import { getStore, type Store } from '../../lib/store/client.ts';
import { listNumbers, NumberListError, replaceNumbers } from '../../lib/store/numbers.ts';
import { parseConfig, loadConfigFile } from '../../media-core/config/load.ts';
import { ConfigError } from '../../lib/env.ts';
import { configNumbers, createRouter } from '../../media-core/conversation/routing.ts';
import { makeRuntime, ScriptedTestAssistant, startCall } from '../helpers/conversation-harness.ts';
import { until } from '../helpers/fake-call.ts';
import { parseNumbersArgs, runNumbersCommand } from '../../scripts/numbers.ts';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';

const FOUR = ['sip-trunk', 'twilio-flex', 'amazon-connect', 'nice-cxone'];

describe('E.164 normalization (lib/phone.ts)', () => {
  test('the written form "+1 958 555 0123" and other separators become +19585550123', () => {
    for (const t of ['+1 958 555 0123', '+1-958-555-0123', '+1.958.555.0123', '+1 (958) 555-0123', ' +19585550123 ']) assert.equal(toE164Strict(t), '+19585550123', t);
    assert.equal(toE164Strict('+44 20 7946 0958'), '+442079460958');
  });
  test('without "+": refused unless a default country is configured', () => {
    assert.throws(() => toE164Strict('958 555 0123'), (e: unknown) => e instanceof PhoneNumberError && /no country code/.test((e as Error).message));
    assert.equal(toE164Strict('(958) 555-0123', 'US'), '+19585550123');
    assert.equal(toE164Strict('020 7946 0958', 'GB'), '+442079460958');
    assert.throws(() => toE164Strict('958 555 0123', 'XX'), /not an ISO 3166-1/);
  });
  test('letters, extensions, too short or too long are refused', () => {
    for (const t of ['+15550100001x', '+1 555', 'abc', '+1 555 010 0001 ext 2', '', '+0123456789', `+1${'5'.repeat(20)}`]) assert.throws(() => toE164Strict(t), PhoneNumberError, t);
  });
});

describe('CSV (RFC 4180, lib/csv.ts)', () => {
  test('quoted fields hold commas, doubled quotes and line breaks; CRLF and LF; BOM skipped; line numbers of each record', () => {
    const text = '\ufeffa,b\r\n"x, y","say ""hi"""\r\n"multi\nline",z\n\nlast,\n';
    const r = parseCsv(text);
    assert.deepEqual(r.map((x) => x.fields), [['a', 'b'], ['x, y', 'say "hi"'], ['multi\nline', 'z'], ['last', '']]);
    assert.deepEqual(r.map((x) => x.line), [1, 2, 3, 6]);
  });
  test('a stray quote, text after a closing quote and an unclosed quote are errors with the line', () => {
    assert.throws(() => parseCsv('a,b\nx"y,z\n'), (e: unknown) => e instanceof CsvError && e.line === 2);
    assert.throws(() => parseCsv('a\n"x"y\n'), (e: unknown) => e instanceof CsvError && e.line === 2);
    assert.throws(() => parseCsv('a\n\n"open,\nnever closed'), (e: unknown) => e instanceof CsvError && e.line === 3);
  });
  test('linear: 200,000 characters of quotes parse quickly', () => {
    const t0 = performance.now();
    parseCsv(`"${'""'.repeat(100_000)}"`);
    assert.ok(performance.now() - t0 < 2000);
  });
});

describe('numbers CSV (lib/numbers-csv.ts)', () => {
  test('rows normalized; description kept; integration from the column', () => {
    const r = parseNumbersCsv('phone_number,description,integration\n+1 958 555 0123,"Support, East",amazon-connect\n+15550100009,,sip-trunk\n', { integrations: FOUR });
    assert.ok('entries' in r, JSON.stringify(r));
    assert.deepEqual(r.entries, [
      { phoneNumber: '+19585550123', description: 'Support, East', integration: 'amazon-connect' },
      { phoneNumber: '+15550100009', description: '', integration: 'sip-trunk' },
    ]);
  });
  test('integration defaults to the only one; with several it is required', () => {
    const one = parseNumbersCsv('phone_number,description\n+15550100009,Sales\n', { integrations: ['only'] });
    assert.ok('entries' in one);
    assert.equal(one.entries[0]!.integration, 'only');
    const several = parseNumbersCsv('phone_number,description\n+15550100009,Sales\n', { integrations: FOUR });
    assert.ok('problems' in several);
    assert.deepEqual(several.problems.map((p) => p.line), [2]);
    assert.match(several.problems[0]!.message, /integration is required/);
  });
  test('every bad row is reported by its line number and no entries are returned', () => {
    const csv = [
      'phone_number,description,integration',
      '+15550100011,ok,sip-trunk',
      '555 0100,no country,sip-trunk',
      '+15550100012,"two\nlines",sip-trunk',
      '+15550100013,x,unknown-one',
      '+1 555 010 0011,duplicate after normalization,sip-trunk',
      '+15550100014,a,sip-trunk,extra',
    ].join('\n');
    const r = parseNumbersCsv(csv, { integrations: FOUR });
    assert.ok('problems' in r);
    assert.deepEqual(r.problems.map((p) => p.line), [3, 4, 6, 7, 8]);
    assert.match(r.problems[0]!.message, /no country code/);
    assert.match(r.problems[1]!.message, /control character or line break/);
    assert.match(r.problems[2]!.message, /unknown integration/);
    assert.match(r.problems[3]!.message, /already on line 2/);
    assert.match(r.problems[4]!.message, /4 fields/);
  });
  test('a number without "+" is accepted with the configured default country', () => {
    const r = parseNumbersCsv('phone_number,description\n(958) 555-0123,x\n', { integrations: ['a'], defaultCountry: 'US' });
    assert.ok('entries' in r);
    assert.equal(r.entries[0]!.phoneNumber, '+19585550123');
  });
  test('a missing or wrong header is line 1; an empty file is refused', () => {
    const headerOnly = parseNumbersCsv('phone_number,description\n', { integrations: ['a'] });
    assert.ok('problems' in headerOnly && headerOnly.problems[0]!.line === 2 && /empty one is refused/.test(headerOnly.problems[0]!.message), 'a header alone would empty the list: refused');
    for (const t of ['+15550100009,x\n', 'number,description\n', '']) {
      const r = parseNumbersCsv(t, { integrations: ['a'] });
      assert.ok('problems' in r);
      assert.equal(r.problems[0]!.line, 1);
    }
  });
  test('export is importable as it is (quoting round trip)', () => {
    const entries = [{ phoneNumber: '+15550100009', description: 'He said "hi", twice', integration: 'a' }];
    const r = parseNumbersCsv(formatNumbersCsv(entries), { integrations: ['a'] });
    assert.deepEqual('entries' in r && r.entries, entries);
  });
});

describe('configuration: numbers and the duplicate-number check', () => {
  const base = () => ({
    assistants: { a: { type: 'webhook', url: 'http://127.0.0.1:9/x' } },
    speech: { s: { tts: { provider: 'espeak' }, stt: { provider: 'pocketsphinx' } } },
    integrations: [
      { name: 'one', number: '+1 958 555 0123', assistant: 'a', speech: 's', contactCenter: { vendor: 'sip_trunk' } },
      { name: 'two', number: '+15550100002', assistant: 'a', speech: 's', contactCenter: { vendor: 'sip_trunk' } },
    ],
  });
  test('the spaced form is normalized at load', () => {
    assert.equal(parseConfig(base(), '/tmp').config.integrations[0]!.number, '+19585550123');
  });
  test('the same number twice (after normalization) is refused, naming the path', () => {
    const raw = base();
    raw.integrations[1]!.number = '+1-958-555-0123';
    assert.throws(() => parseConfig(raw, '/tmp'), (e: unknown) => e instanceof ConfigError && /integrations\.1\.number: duplicate number \+19585550123/.test((e as Error).message));
    const seeded = { ...base(), numbers: { seed: [{ phone_number: '+15550100002', integration: 'one' }] } };
    assert.throws(() => parseConfig(seeded, '/tmp'), /numbers\.seed\.0\.phone_number: duplicate number/);
    const unknown = { ...base(), numbers: { seed: [{ phone_number: '+15550100003', integration: 'three' }] } };
    assert.throws(() => parseConfig(unknown, '/tmp'), /unknown integration "three"/);
    const dupName = base();
    dupName.integrations[1]!.name = 'one';
    assert.throws(() => parseConfig(dupName, '/tmp'), /duplicate integration name one/);
  });
  test('demo.json names its four integrations; its numbers seed the list', () => {
    const { config } = loadConfigFile('media-core/config/demo.json');
    assert.deepEqual(configNumbers(config).map((e) => `${e.phoneNumber} ${e.integration}`), ['+15550100001 sip-trunk', '+15550100002 twilio-flex', '+15550100003 amazon-connect', '+15550100004 nice-cxone']);
  });
});

describe('numbers in the state table', () => {
  let db: LocalDynamo;
  let store: Store;
  let dir: string;
  before(async () => {
    db = await startDynalite('numbers-state');
    store = getStore({ table: db.table, endpoint: db.endpoint });
    dir = mkdtempSync(join(tmpdir(), 'numbers-test-'));
  });
  after(async () => {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const tool = (out: string[], err: string[]) => ({ store, where: 'test table', integrations: FOUR, out: (l: string) => out.push(l), err: (l: string) => err.push(l) });

  test('a replacement replaces the whole list; seeding only when none is stored; duplicates refused', async () => {
    assert.deepEqual(await listNumbers(store), { entries: [] });
    await replaceNumbers(store, [{ phoneNumber: '+15550100001', description: 'a', integration: 'sip-trunk' }, { phoneNumber: '+15550100002', description: 'b', integration: 'twilio-flex' }]);
    assert.equal(await replaceNumbers(store, [{ phoneNumber: '+15550100099', description: '', integration: 'x' }], { onlyIfAbsent: true }), undefined, 'a seed does not overwrite');
    await replaceNumbers(store, [{ phoneNumber: '+15550100003', description: 'c', integration: 'amazon-connect' }]);
    const l = await listNumbers(store);
    assert.deepEqual(l.entries, [{ phoneNumber: '+15550100003', description: 'c', integration: 'amazon-connect' }]);
    await assert.rejects(
      replaceNumbers(store, [
        { phoneNumber: '+15550100005', description: '', integration: 'a' },
        { phoneNumber: '+15550100005', description: '', integration: 'b' },
      ]),
      NumberListError,
    );
    assert.equal((await listNumbers(store)).version, l.version, 'nothing changed');
  });

  test('npm run numbers: import with a bad row applies nothing; a good import replaces; list and export', async () => {
    const good = join(dir, 'good.csv');
    writeFileSync(good, 'phone_number,description,integration\n+1 958 555 0123,Support,nice-cxone\n+15550100004,Sales,nice-cxone\n');
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'phone_number,description,integration\n+15550100007,ok,sip-trunk\nnot a number,x,sip-trunk\n');
    let out: string[] = [];
    let err: string[] = [];
    assert.equal(await runNumbersCommand(parseNumbersArgs(['import', good]), tool(out, err)), 0, err.join('\n'));
    const before = await listNumbers(store);
    out = [];
    err = [];
    assert.equal(await runNumbersCommand(parseNumbersArgs(['import', bad]), tool(out, err)), 1);
    assert.match(err.join('\n'), /bad\.csv:3: "not a number" is not a phone number/);
    assert.match(err.join('\n'), /nothing imported/);
    assert.deepEqual(await listNumbers(store), before, 'the list in force is unchanged');
    out = [];
    assert.equal(await runNumbersCommand({ cmd: 'list' }, tool(out, err)), 0);
    assert.match(out.join('\n'), /\+19585550123\s+nice-cxone\s+Support/);
    assert.match(out.at(-1)!, /^2 numbers/);
    const exported = join(dir, 'out.csv');
    assert.equal(await runNumbersCommand(parseNumbersArgs(['export', exported]), tool(out, err)), 0);
    assert.equal(readFileSync(exported, 'utf8'), 'phone_number,description,integration\r\n+15550100004,Sales,nice-cxone\r\n+19585550123,Support,nice-cxone\r\n');
    assert.throws(() => parseNumbersArgs(['import']), /usage/);
    assert.throws(() => parseNumbersArgs(['delete']), /usage/);
  });

  test('the command line: npm run numbers -- import (demo config: four integrations), then list; a bad file exits 1 naming the line', async () => {
    const run = promisify(execFile);
    const env = { ...process.env, STATE_TABLE: db.table, DYNAMODB_ENDPOINT: db.endpoint, AWS_REGION: 'us-east-1', CONFIG_FILE: 'media-core/config/demo.json' };
    const csv = join(dir, 'cli.csv');
    writeFileSync(csv, 'phone_number,description,integration\n+1 958 555 0199,Lab,twilio-flex\n');
    const imported = await run('npx', ['tsx', 'scripts/numbers.ts', 'import', csv], { env, timeout: 30_000 });
    assert.match(imported.stdout, /imported 1 numbers/);
    const listed = await run('npx', ['tsx', 'scripts/numbers.ts', 'list'], { env, timeout: 30_000 });
    assert.match(listed.stdout, /\+19585550199\s+twilio-flex\s+Lab/);
    writeFileSync(csv, 'phone_number,description\n+1 958 555 0199,no integration\n');
    await assert.rejects(run('npx', ['tsx', 'scripts/numbers.ts', 'import', csv], { env, timeout: 30_000 }), (e: { code?: number; stderr?: string }) => e.code === 1 && /cli\.csv:2: integration is required/.test(e.stderr ?? ''));
  });

  test('routing follows the stored list without a restart (short TTL), and keeps the last list when a read fails', async () => {
    const integrations = parseConfig(
      {
        assistants: { a: { type: 'webhook', url: 'http://127.0.0.1:9/x' } },
        speech: { s: { tts: { provider: 'espeak' }, stt: { provider: 'pocketsphinx' } } },
        integrations: [
          { name: 'sip-trunk', number: '+15550100001', assistant: 'a', speech: 's', contactCenter: { vendor: 'sip_trunk' } },
          { name: 'nice-cxone', number: '+15550100004', assistant: 'a', speech: 's', contactCenter: { vendor: 'nice_cxone', functionName: 'f' } },
        ],
      },
      '/tmp',
    ).config.integrations;
    await replaceNumbers(store, [{ phoneNumber: '+19585550123', description: 'Support', integration: 'nice-cxone' }]);
    let fail = false;
    const problems: string[] = [];
    const route = createRouter(integrations, {
      ttlMs: 100,
      source: async () => {
        if (fail) throw new Error('table down');
        return (await listNumbers(store)).entries;
      },
      onProblem: (m) => problems.push(m),
    });
    assert.equal(route.stale, true, 'never read');
    await route.refresh();
    assert.equal(route.stale, false);
    assert.equal(route('+19585550123')?.contactCenter.vendor, 'nice_cxone', 'imported number routes');
    assert.equal(route('+15550100001'), undefined, 'not in the stored list: 404');
    await replaceNumbers(store, [{ phoneNumber: '+15550100001', description: '', integration: 'sip-trunk' }, { phoneNumber: '+15550100042', description: '', integration: 'gone' }]);
    assert.equal(route('+15550100001'), undefined, 'within the TTL the cached list holds');
    await until(() => route.stale, 'the TTL passes', 3000);
    await route.refresh();
    assert.equal(route('+15550100001')?.contactCenter.vendor, 'sip_trunk', 'picked up without a restart');
    assert.equal(route('+19585550123'), undefined);
    assert.match(problems.join('\n'), /integrations this configuration lacks: gone/);
    fail = true;
    await route.refresh();
    assert.equal(route('+15550100001')?.contactCenter.vendor, 'sip_trunk', 'last list stays');
    assert.match(problems.at(-1)!, /table down/);
  });

  test('the runtime seeds an empty table from its config and routes by the stored list', async () => {
    const db2 = await startDynalite('numbers-runtime');
    const store2 = getStore({ table: db2.table, endpoint: db2.endpoint });
    try {
      const a = new ScriptedTestAssistant(() => [{ response_type: 'end_session' }]);
      const { runtime } = makeRuntime(a, { deps: { store: store2 } });
      await runtime.refreshNumbers();
      assert.deepEqual((await listNumbers(store2)).entries.map((e) => e.phoneNumber), ['+15550100001'], 'seeded');
      await replaceNumbers(store2, [{ phoneNumber: '+15550100077', description: 'new', integration: '+15550100001' }]);
      await new Promise((r) => setTimeout(r, 5100)); // the default cacheTtlMs: the next call reads the list first
      const moved = startCall(runtime, { calledUser: '+15550100077' });
      await until(() => moved.hangups.length === 1, 'the imported number is answered');
      const old = startCall(runtime, { calledUser: '+15550100001' });
      await until(() => old.rejected !== undefined, 'the replaced number is refused');
      assert.equal(old.rejected?.status, 404);
      await runtime.idle();
    } finally {
      await db2.stop();
    }
  });
});
