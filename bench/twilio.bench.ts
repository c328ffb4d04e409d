/**
 * Twilio webhook figures (targets from issue 2):
 * - cold start: importing the receive-call bundle vs `require('twilio')`, each in fresh node
 *   processes, alternated, medians (target: bundle <= 1/5 of require('twilio'));
 * - bundle size of each Twilio function, minified as serverless-esbuild builds it (target <= 150 KB);
 * - warm handler latency over 10,000 signed requests in-process, p50/p99 (target p99 <= 1 ms).
 * Run: npx tsx bench/twilio.bench.ts   (env RUNS=n for the cold-start runs, default 7)
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { percentile, ms } from './stats.ts';
import { twilioWebhookEvent, voiceParams, SAMPLE_PUBLIC_BASE_URL } from '../events/twilio/webhook-event.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Math.max(3, Math.min(25, Number(process.env.RUNS ?? 7)));
const REQUESTS = 10_000;
const out = mkdtempSync(join(tmpdir(), 'twilio-bench-'));
const FUNCTIONS = { twilioReceiveCall: 'functions/twilio/receive-call.ts', twilioReferHandler: 'functions/twilio/refer-handler.ts' };
const median = (v: number[]) => percentile(v, 50);
const verdict = (ok: boolean) => (ok ? 'MET' : 'NOT MET');

// The same esbuild options as serverless.yml custom.esbuild (serverless-esbuild passes them through).
const bundles: Record<string, string> = {};
for (const [name, entry] of Object.entries(FUNCTIONS)) {
  const outfile = join(out, `${name}.cjs`);
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    minify: true,
    sourcemap: false,
    target: 'node20',
    platform: 'node',
    format: 'cjs',
    external: ['@aws-sdk/client-ssm'],
    logLevel: 'warning',
  });
  bundles[name] = outfile;
}

// Cold start: time to load the module inside a fresh node process (process start excluded).
function loadMs(code: string): number {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, LOG_LEVEL: 'silent', PUBLIC_BASE_URL: SAMPLE_PUBLIC_BASE_URL, MEDIA_CORE_SIP_HOST: 'media.example.com', TWILIO_AUTH_TOKEN: 'bench-fake' } });
  const v = Number(r.stdout.trim().split('\n').pop());
  if (r.status !== 0 || !Number.isFinite(v)) throw new Error(`load probe failed: ${r.stderr}`);
  return v;
}
// Both are loaded the way Lambda's CommonJS loader does it: require() after node:module is in.
const bundleCode = `import { createRequire } from 'node:module'; const req=createRequire(${JSON.stringify(pathToFileURL(join(ROOT, 'package.json')).href)}); const t=performance.now(); req(${JSON.stringify(bundles.twilioReceiveCall!)}); console.log(performance.now()-t);`;
const sdkCode = `import { createRequire } from 'node:module'; const req=createRequire(${JSON.stringify(pathToFileURL(join(ROOT, 'package.json')).href)}); const t=performance.now(); req('twilio'); console.log(performance.now()-t);`;
const bundleRuns: number[] = [];
const sdkRuns: number[] = [];
for (let i = 0; i < RUNS; i++) {
  bundleRuns.push(loadMs(bundleCode));
  sdkRuns.push(loadMs(sdkCode));
}
const coldBundle = median(bundleRuns);
const coldSdk = median(sdkRuns);
console.log(`cold start (median of ${RUNS} fresh processes, module load only; load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}):`);
console.log(`  receive-call bundle load  ${ms(coldBundle)}   require('twilio') ${ms(coldSdk)}   ratio ${(coldBundle / coldSdk).toFixed(3)}  (target <= 0.200: ${verdict(coldBundle <= coldSdk / 5)})`);

console.log('bundle size (minified, as serverless-esbuild builds it; target <= 150 KB):');
for (const [name, file] of Object.entries(bundles)) {
  const kb = statSync(file).size / 1024;
  console.log(`  ${name.padEnd(20)} ${kb.toFixed(1)} KB  ${verdict(kb <= 150)}`);
}

// Warm: the built bundles in this process, 10,000 distinct signed requests each.
type H = (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;
const token = `bench-${randomBytes(8).toString('hex')}`;
Object.assign(process.env, {
  LOG_LEVEL: 'silent',
  PUBLIC_BASE_URL: SAMPLE_PUBLIC_BASE_URL,
  MEDIA_CORE_SIP_HOST: 'media.example.com',
  STUDIO_FLOW_WEBHOOK_URL: 'https://webhooks.twilio.com/v1/Accounts/AC00000000000000000000000000000000/Flows/FW00000000000000000000000000000000',
  TWILIO_AUTH_TOKEN: token,
});
const warm: Array<[string, string, (i: number) => Record<string, string>]> = [
  ['twilioReceiveCall', '/twilio/receive-call', (i) => voiceParams({ CallSid: `CA${i.toString(16).padStart(32, '0')}` })],
  ['twilioReferHandler', '/twilio/refer-handler', (i) => voiceParams({ CallSid: `CA${i.toString(16).padStart(32, '0')}`, ReferTransferTarget: `<sip:queue@flex.twilio.com?X-Watson-Assistant-Session-History-Key=key-${i}>` })],
];
console.log(`warm handler latency, ${REQUESTS} signed requests in-process (target p99 <= 1 ms):`);
for (const [name, path, params] of warm) {
  const { handler } = (await import(pathToFileURL(bundles[name]!).href)) as { handler: H };
  const events = Array.from({ length: REQUESTS }, (_, i) => twilioWebhookEvent({ path, params: params(i), authToken: token, base64: i % 2 === 1 }));
  const ctx = {} as Context;
  for (let i = 0; i < 200; i++) await handler(twilioWebhookEvent({ path, params: params(i), authToken: token }), ctx); // warm-up
  const times: number[] = [];
  let bad = 0;
  for (const ev of events) {
    const t = performance.now();
    const r = await handler(ev, ctx);
    times.push(performance.now() - t);
    if (r.statusCode !== 200) bad++;
  }
  const p99 = percentile(times, 99);
  console.log(`  ${name.padEnd(20)} p50 ${ms(percentile(times, 50))}  p99 ${ms(p99)}  max ${ms(Math.max(...times))}  non-200: ${bad}  ${verdict(p99 <= 1 && bad === 0)}`);
}
rmSync(out, { recursive: true, force: true });
