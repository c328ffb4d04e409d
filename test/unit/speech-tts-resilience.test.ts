/**
 * Text to speech under failure and load (issue: embedded TTS): a failed synthesis is retried
 * once, then the cached fallback prompt plays, the skip is recorded in the session history,
 * and the conversation goes on; identical syntheses in flight are served by one; the
 * synthesis queue is bounded and refuses beyond its bound.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';
import { getStore, type Store } from '../../lib/store/client.ts';
import { readSession } from '../../lib/store/session-history.ts';
import { makeRuntime, startCall, ScriptedTestAssistant, stubInvoker } from '../helpers/conversation-harness.ts';
import { until } from '../helpers/fake-call.ts';
import type { GenericResponse } from '../../media-core/conversation/types.ts';
import type { TtsProvider } from '../../media-core/conversation/speech/tts.ts';
import type { Settings } from '../../media-core/conversation/speech/update-strategy.ts';
import { CachedTts } from '../../media-core/conversation/speech/tts-cache.ts';
import { BoundedTts } from '../../media-core/conversation/speech/tts-bounded.ts';
import { BoundedQueue, QueueFullError, DeadlineError } from '../../media-core/conversation/speech/bounded-queue.ts';
import { speechQueueLoads } from '../../media-core/conversation/speech/speech-load.ts';
import { metricsRegistry } from '../../media-core/observability/metrics.ts';
import { LocalAssistant } from '../../media-core/conversation/assistants/local.ts';
import { staticPrompts } from '../../media-core/conversation/speech/static-prompts.ts';

const text = (t: string): GenericResponse => ({ response_type: 'text', text: t });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TTS that fails for the texts in `broken`, counts attempts per text, and takes `delayMs`. */
class FlakyTts implements TtsProvider {
  readonly name = 'flaky';
  readonly attempts = new Map<string, number>();
  readonly said: string[] = [];
  constructor(
    readonly broken: Set<string>,
    private readonly delayMs = 0,
  ) {}
  async synthesize(t: string, _s: Settings): Promise<Int16Array> {
    this.attempts.set(t, (this.attempts.get(t) ?? 0) + 1);
    if (this.delayMs) await sleep(this.delayMs);
    if (this.broken.has(t)) throw new Error(`espeak-ng exited with 1 (injected for "${t}")`);
    this.said.push(t);
    return new Int16Array(t.length * 80).fill(1000);
  }
}

let db: LocalDynamo;
let store: Store;
before(async () => {
  db = await startDynalite();
  store = getStore({ table: db.table, endpoint: db.endpoint });
});
after(() => db.stop());

describe('TTS failure: retry once, fallback prompt, conversation goes on', () => {
  test('a prompt that cannot be synthesized is retried once, replaced by the fallback prompt and recorded; the next turn runs', async () => {
    const fallback = 'Sorry, part of this message could not be played.';
    const a = new ScriptedTestAssistant((t) => (t === '' ? [text('Broken prompt'), text('Still here')] : t === '1' ? [text('Second turn')] : []));
    const tts = new FlakyTts(new Set(['Broken prompt']));
    const inv = stubInvoker();
    const { runtime } = makeRuntime(a, { deps: { store, invoke: inv.invoke, makeTts: () => tts } });
    assert.ok(speechQueueLoads().tts, 'the runtime registers its synthesis queue as "tts" for admission');
    await runtime.warm();
    assert.deepEqual(tts.said, [fallback], 'the fallback prompt is synthesized at start');
    const call = startCall(runtime);
    await until(() => tts.said.includes('Still here'), 'the prompt after the broken one plays');
    assert.equal(tts.attempts.get('Broken prompt'), 2, 'retried exactly once');
    assert.equal(tts.attempts.get(fallback), 1, 'the fallback prompt comes from the start-up synthesis');
    // The fallback prompt played in place of the broken one (80 samples per character), then the next prompt.
    await until(() => call.plays.length >= 2 && call.plays[1]!.result !== undefined, 'two prompts played');
    assert.deepEqual(call.plays.slice(0, 2).map((p) => p.samples), [fallback.length * 80, 'Still here'.length * 80]);
    call.press('1');
    await until(() => tts.said.includes('Second turn'), 'the conversation goes on to the next turn');
    assert.equal(inv.events.length, 0, 'no error outcome was sent');
    call.remoteHangup();
    await runtime.idle();
    runtime.close();
    const session = runtime.recent.at(-1)!;
    await session.flushHistory();
    const h = await readSession(store, session.sessionHistoryKey);
    const texts = (h?.turns ?? []).map((e) => e.text);
    assert.ok(texts.some((x) => /prompt skipped/.test(x)), `skip recorded: ${JSON.stringify(texts)}`);
    assert.ok(!texts.some((x) => /conversation failed/.test(x)), 'the conversation did not fail');
    assert.match(await metricsRegistry.getSingleMetricAsString('media_core_tts_fallback_prompts_total'), /media_core_tts_fallback_prompts_total 1/);
  });
});

describe('prompts synthesized at start', () => {
  test("the local assistant's static prompts (not templated ones) and the fallback prompt are synthesized by warm(); a call then hits the cache", async () => {
    const local = LocalAssistant.fromFile('media-core/config/demo-assistant.json');
    const prompts = staticPrompts(local.script);
    assert.ok(prompts.includes('We are open Monday to Friday, from 9 in the morning to 5 in the afternoon.'));
    assert.ok(prompts.includes('Please hold while I transfer you to an agent.'), 'connect_to_agent messages too');
    assert.ok(prompts.every((p) => !p.includes('{{')), 'templated texts are left to the call');
    const tts = new FlakyTts(new Set());
    const { runtime } = makeRuntime(local, { deps: { makeTts: () => tts } });
    try {
      await runtime.warm();
      for (const p of prompts) assert.equal(tts.attempts.get(p), 1, `synthesized once at start: ${p}`);
      assert.equal(tts.attempts.get('Sorry, part of this message could not be played.'), 1);
      const call = startCall(runtime);
      await until(() => call.plays.length === 1, 'welcome playing');
      assert.equal(tts.attempts.get(prompts[0]!), 1, 'the welcome came from the cache');
      call.remoteHangup();
      await runtime.idle();
    } finally {
      runtime.close();
    }
  });
});

describe('TTS single flight and bounds', () => {
  test('identical requests in flight are served by one synthesis; different ones are not merged', async () => {
    const inner = new FlakyTts(new Set(), 50);
    const c = new CachedTts(inner, 10);
    const rs = await Promise.all([...Array(20)].map(() => c.synthesize('Welcome', { voice: 'en-us' })));
    assert.equal(inner.attempts.get('Welcome'), 1, 'one synthesis for 20 requests');
    assert.ok(rs.every((r) => r === rs[0]));
    assert.equal(c.joined, 19);
    await Promise.all([c.synthesize('Other', { voice: 'en-us' }), c.synthesize('Other', { voice: 'en-gb' })]);
    assert.equal(inner.attempts.get('Other'), 2, 'another voice is another synthesis');
    assert.equal(c.inFlight, 0);
  });

  test('a streamed synthesis is shared while it streams: every joiner gets all the audio', async () => {
    let opened = 0;
    const stream: TtsProvider = {
      name: 'stream',
      async synthesize() {
        opened++;
        return (async function* () {
          for (let i = 0; i < 5; i++) {
            await sleep(20);
            yield new Int16Array(160).fill(i + 1);
          }
        })();
      },
    };
    const c = new CachedTts(stream, 10);
    const first = await c.synthesize('long', {});
    await sleep(50); // two chunks have arrived
    const second = await c.synthesize('long', {});
    const read = async (s: unknown) => {
      const out: number[] = [];
      for await (const ch of s as AsyncIterable<Int16Array>) out.push(ch[0]!);
      return out;
    };
    const [x, y] = await Promise.all([read(first), read(second)]);
    assert.deepEqual(x, [1, 2, 3, 4, 5]);
    assert.deepEqual(y, [1, 2, 3, 4, 5]);
    assert.equal(opened, 1);
    const cached = await c.synthesize('long', {});
    assert.ok(cached instanceof Int16Array && cached.length === 800, 'cached whole once complete');
  });

  test('the synthesis queue runs at most `concurrency`, refuses beyond its bound, registers as "tts", and answers late requests with a deadline error', async () => {
    const q = new BoundedQueue({ name: 'tts-test', concurrency: 2, bound: 3, deadlineMs: 700 });
    try {
      let running = 0;
      let peak = 0;
      const inner: TtsProvider = {
        name: 'slow',
        async synthesize(t) {
          running++;
          peak = Math.max(peak, running);
          await sleep(t === 'stuck' ? 1200 : 100);
          running--;
          return new Int16Array(8);
        },
      };
      const tts = new BoundedTts(inner, q);
      const ps = [...Array(5)].map((_, i) => tts.synthesize(`t${i}`, {}));
      assert.deepEqual(speechQueueLoads()['tts-test'], { depth: 3, bound: 3, concurrency: 2, requests: 5, serviceMs: 0 });
      await assert.rejects(tts.synthesize('t5', {}), QueueFullError, 'the 6th request is refused at once');
      await Promise.all(ps);
      assert.equal(peak, 2);
      await assert.rejects(tts.synthesize('stuck', {}), DeadlineError);
      const metrics = await metricsRegistry.getSingleMetricAsString('media_core_speech_requests_total');
      assert.match(metrics, /queue="tts-test",outcome="queue_full"} 1/);
      assert.match(metrics, /queue="tts-test",outcome="deadline"} 1/);
      assert.match(await metricsRegistry.getSingleMetricAsString('media_core_speech_queue_depth'), /queue="tts-test"/);
    } finally {
      q.close();
    }
    assert.equal(speechQueueLoads()['tts-test'], undefined, 'unregistered on close');
  });
});
