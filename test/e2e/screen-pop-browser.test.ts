/**
 * The agent's screen pop in a real browser: headless Chromium (playwright-core) opens
 * GET /agent served by serverless-offline (the deployed handler's bundle) over dynalite.
 * Opens the signed view link; checks the transcript is shown in order with DTMF digits masked,
 * that a caller's <script> did not run, that the CSP-hashed stylesheet applied, the 404 page,
 * and that the old unsigned link gets 403. Saves screenshots to
 * test-artifacts/screen-pop.png and docs/screen-pop.png (the README's picture).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';
import { startOffline, type Offline } from '../helpers/offline.ts';
import { getStore } from '../../lib/store/client.ts';
import { appendTurn, createSession, newSessionHistoryKey, type TranscriptEntry } from '../../lib/store/session-history.ts';
import { STATE_TABLE } from '../../dev/stack/stack-env.ts';
import { REPO_ROOT } from '../../dev/repo-root.ts';
import { randomBytes } from 'node:crypto';
import { screenPopLink } from '../../adapters/agent-view/link.ts';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

const t0 = Date.parse('2026-11-22T10:00:00.000Z');
const at = (s: number) => new Date(t0 + s * 1000).toISOString();
const TURNS: TranscriptEntry[] = [
  { seq: 1, at: at(1), who: 'assistant', text: 'Hello, thanks for calling Example Bank. How can I help you today?', responseType: 'text' },
  { seq: 2, at: at(6), who: 'caller', text: 'I lost my card <script>window.__pwned=1</script> and I\'m "worried" — Zoë, café, 5 €' },
  { seq: 3, at: at(8), who: 'assistant', text: 'Sorry to hear that. Press 1 to block the card, or 0 for an agent.', responseType: 'text' },
  { seq: 4, at: at(12), who: 'caller', text: '0', isDtmf: true },
  { seq: 5, at: at(13), who: 'assistant', text: "I'll transfer you to an agent now.", responseType: 'connect_to_agent' },
  { seq: 6, at: at(14), who: 'system', text: 'Transferred to an agent (Amazon Connect queue)' },
];

describe('agent screen pop in Chromium', { skip: haveChromium ? false : `${CHROMIUM} is absent (sudo apt-get install chromium)` }, () => {
  let db: LocalDynamo;
  let offline: Offline;
  let context: BrowserContext;
  let profile: string;
  const key = newSessionHistoryKey();
  /** A fake link secret generated per run. */
  const secret = randomBytes(32).toString('base64url');
  const link = (k: string) => screenPopLink(`${offline.httpUrl}/agent`, k, secret);

  before(async () => {
    // serverless-offline sets STATE_TABLE from serverless.yml (stage dev), so seed that table.
    db = await startDynalite(STATE_TABLE);
    const store = getStore({ table: STATE_TABLE, endpoint: db.endpoint });
    await createSession(store, key, { startedAt: at(0), calledNumber: '+15550100003', callerRedacted: '+*********21', vendor: 'amazon_connect', vendorLabel: 'Amazon Connect' });
    for (const turn of TURNS) await appendTurn(store, key, turn);
    offline = await startOffline({ env: { DYNAMODB_ENDPOINT: db.endpoint, STATE_TABLE, LOG_LEVEL: 'warn', SCREEN_POP_SECRET: secret }, startTimeoutMs: 45_000 });
    profile = mkdtempSync(join(tmpdir(), 'screen-pop-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 900, height: 640 },
    });
  });

  after(async () => {
    await context?.close();
    await offline?.stop();
    await db?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test('the signed link shows the turns in order with DTMF digits masked, and the caller\'s script does not run', async () => {
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
    const response = await page.goto(link(key));
    assert.equal(response?.status(), 200);
    const headers = response!.headers();
    assert.match(headers['content-security-policy'] ?? '', /default-src 'none'.*script-src 'none'/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['cache-control'], 'no-store');
    assert.equal(headers['referrer-policy'], 'no-referrer');

    const turns = await page.locator('li.turn').allInnerTexts();
    assert.equal(turns.length, TURNS.length);
    assert.match(turns[0]!, /^ASSISTANT[\s\S]*10:00:01 UTC[\s\S]*Hello, thanks for calling/);
    assert.match(turns[1]!, /^CALLER[\s\S]*I lost my card <script>window.__pwned=1<\/script> and I'm "worried" — Zoë, café, 5 €/);
    assert.match(turns[3]!, /^CALLER[\s\S]*DTMF \(masked\)\s*\u2022/);
    assert.match(turns[5]!, /^SYSTEM[\s\S]*Transferred to an agent/);
    assert.deepEqual(await page.locator('li.turn kbd').allInnerTexts(), ['\u2022']);
    assert.ok(await page.locator('li.turn.caller kbd').first().isVisible());

    assert.equal(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.locator('script').count(), 0);
    // The stylesheet is allowed by its CSP hash: if the hash were wrong the page would be unstyled.
    assert.notEqual(await page.locator('li.turn.caller').first().evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { borderTopStyle: string } }).getComputedStyle(el).borderTopStyle), 'none');
    assert.deepEqual(cspViolations, []);

    const facts = await page.locator('dl.facts').innerText();
    assert.match(facts, /\+15550100003/);
    assert.match(facts, /\+\*{9}21/);
    assert.match(facts, /Amazon Connect/);
    assert.match(facts, /2026-11-22 10:00:00 UTC/);

    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    mkdirSync(join(REPO_ROOT, 'docs'), { recursive: true });
    await page.screenshot({ path: join(REPO_ROOT, 'test-artifacts/screen-pop.png'), fullPage: true });
    await page.screenshot({ path: join(REPO_ROOT, 'docs/screen-pop.png'), fullPage: true });
    await page.close();
  });

  test('an unknown key gets the 404 page, a malformed token 400, the old unsigned link 403', async () => {
    const page = await context.newPage();
    const r404 = await page.goto(link(newSessionHistoryKey()));
    assert.equal(r404?.status(), 404);
    assert.equal(await page.locator('h1').innerText(), 'Conversation not found');
    assert.equal(await page.locator('li.turn').count(), 0);
    const r400 = await page.goto(`${offline.httpUrl}/agent?view=%3Cscript%3E`);
    assert.equal(r400?.status(), 400);
    assert.equal(await page.locator('h1').innerText(), 'Invalid link');
    const r403 = await page.goto(`${offline.httpUrl}/agent?session_history_key=${key}`);
    assert.equal(r403?.status(), 403);
    assert.equal(await page.locator('h1').innerText(), 'Link not valid');
    assert.equal(await page.locator('li.turn').count(), 0);
    await page.close();
  });
});
