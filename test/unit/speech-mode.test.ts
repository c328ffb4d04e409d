/**
 * `SPEECH=sandbox-watson npm start`: the stack's environment points the media core at the
 * sandboxes' Watson emulation with one per-run fake key on both sides, and the demo
 * configuration then runs a conversation over emulated Watson speech.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { computeStackEnv, DEFAULT_PORTS, generateSecrets, type Ports } from '../../dev/stack/stack-env.ts';
import { applySpeechMode } from '../../media-core/conversation/speech/speech-override.ts';
import { loadConfigFile } from '../../media-core/config/load.ts';
import { startSandboxes } from '../../dev/sandboxes/server.ts';
import { syntheticSpeech, watsonOptionsFromEnv } from '../../dev/sandboxes/watson.ts';
import { readFileSync } from 'node:fs';
import { createConversationRuntime } from '../../media-core/conversation/runtime.ts';
import { FakeCall, fakeCallInfo, until } from '../helpers/fake-call.ts';

describe('SPEECH selects the speech path', () => {
  test('embedded leaves the configuration alone; an unknown value is refused by name', () => {
    const demo = loadConfigFile('media-core/config/demo.json').config;
    assert.equal(applySpeechMode(demo, {}), demo);
    assert.equal(applySpeechMode(demo, { SPEECH: 'embedded' }), demo);
    assert.throws(() => applySpeechMode(demo, { SPEECH: 'cloud' }), /SPEECH=cloud/);
    assert.throws(() => applySpeechMode(demo, { SPEECH: 'sandbox-watson' }), /WATSON_STT_URL/);
    assert.throws(() => computeStackEnv(DEFAULT_PORTS, generateSecrets(), { speech: 'cloud' }), /SPEECH=cloud/);
    const plain = computeStackEnv(DEFAULT_PORTS, generateSecrets());
    assert.equal(plain.mediaCore.SPEECH, undefined);
    assert.equal(plain.sandboxes.SANDBOX_WATSON_APIKEY, undefined);
  });

  test('sandbox-watson: the stack points the media core at the emulation, and a demo call talks over emulated Watson speech', async () => {
    const secrets = generateSecrets();
    const ports: Ports = { ...DEFAULT_PORTS, sandbox: 0 };
    // The sandbox port is only known once it listens: start it with the stack's key first.
    const sb = await startSandboxes({ port: 0, watson: watsonOptionsFromEnv(computeStackEnv(ports, secrets, { speech: 'sandbox-watson' }).sandboxes) });
    try {
      const env = computeStackEnv({ ...ports, sandbox: sb.port }, secrets, { speech: 'sandbox-watson' });
      assert.equal(env.sandboxes.SANDBOX_WATSON_APIKEY, env.mediaCore.WATSON_SPEECH_APIKEY);
      assert.equal(env.mediaCore.WATSON_STT_URL, `ws://127.0.0.1:${sb.port}/speech-to-text`);
      const file = loadConfigFile('media-core/config/demo.json');
      const config = applySpeechMode(file.config, env.mediaCore);
      for (const s of Object.values(config.speech)) {
        assert.equal(s.stt.provider, 'watson');
        assert.equal(s.tts.provider, 'watson');
      }
      const runtime = createConversationRuntime({ ...file, config }, { env: env.mediaCore });
      try {
        await runtime.warm(20_000);
        // The SIP trunk number: Connect and CXone numbers need a contact token (media-core/conversation/contact.ts).
        const call = new FakeCall(fakeCallInfo({ calledUser: '+15550100001' }), 50);
        runtime.onCall(call);
        await until(() => call.plays.length >= 1 && call.plays[0]!.result !== undefined, 'the welcome prompt, synthesized by the emulated Watson TTS', 10_000);
        assert.ok(call.plays[0]!.samples > 8000, 'a real prompt played');
        // The caller says something: the emulation answers its canned "what are your opening hours".
        const voiced = new Int16Array(160).map((_, i) => Math.round(8000 * Math.sin(i / 3)));
        for (let i = 0; i < 60; i++) call.emit('audio', voiced);
        for (let i = 0; i < 40; i++) call.emit('audio', new Int16Array(160));
        await until(() => call.plays.length >= 2 && call.plays[1]!.result !== undefined, 'the answer to the recognized question', 10_000);
        const s = sb.watson.sessions();
        assert.equal(s.length, 1);
        assert.equal(s[0]!.finalTranscript, 'what are your opening hours');
        // The demo assistant's opening-hours answer, as the emulated TTS renders it (60 ms a character).
        const answer = (JSON.parse(readFileSync('media-core/config/demo-assistant.json', 'utf8')) as { intents: { name: string; generic: { text?: string }[] }[] }).intents.find((i) => i.name === 'opening_hours')!.generic[0]!.text!;
        assert.equal(call.plays[1]!.samples, syntheticSpeech(answer).length);
        call.remoteHangup();
        await runtime.idle();
      } finally {
        runtime.close();
      }
    } finally {
      await sb.stop();
    }
  });
});
