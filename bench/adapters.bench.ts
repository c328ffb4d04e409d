/**
 * Adapter figures for Amazon Connect and NICE CXone (`npx tsx bench/adapters.bench.ts`):
 *
 * 1. Warm overhead per outcome, excluding the vendor's own time: applyOutcome in process with
 *    a vendor client whose call resolves at once and an in-memory stand-in for the idempotency
 *    table (DynamoDB's own latency is the store's, not the adapter's, like the vendor's).
 *    What remains is zod parsing, translation/validation, the idempotency logic, retry
 *    wrapper and reply building. Target p99 <= 2 ms.
 * 2. Cold start: each function bundled as serverless.yml does (esbuild, minified ESM, node20,
 *    @aws-sdk/client-ssm external), loaded by a fresh node process: median import time and
 *    median import + first invocation (kind=error outcome: no network) over 7 processes.
 * 3. Minified bundle size of each function.
 */
import { build } from 'esbuild';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { percentile, ms } from './stats.ts';
import type { Store } from '../lib/store/client.ts';
import { applyOutcome as applyConnect, type ConnectApi } from '../adapters/amazon-connect/index.ts';
import { applyOutcome as applyCxone, type CxoneApi } from '../adapters/nice-cxone/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** In-memory stand-in for the DynamoDB document client: Put (with the idempotency condition), Get, Update. */
function memoryStore(): Store {
  const items = new Map<string, Record<string, unknown>>();
  const send = async (cmd: { constructor: { name: string }; input: Record<string, any> }) => {
    const { input } = cmd;
    const id = (k: Record<string, unknown>) => `${k.pk}|${k.sk}`;
    switch (cmd.constructor.name) {
      case 'PutCommand': {
        const prev = items.get(id(input.Item));
        if (input.ConditionExpression && prev && prev.state !== 'rejected') throw Object.assign(new Error('conditional'), { name: 'ConditionalCheckFailedException' });
        items.set(id(input.Item), { ...input.Item });
        return {};
      }
      case 'GetCommand':
        return { Item: items.get(id(input.Key)) };
      case 'UpdateCommand': {
        const it = items.get(id(input.Key));
        if (it) Object.assign(it, { state: input.ExpressionAttributeValues[':state'], attempts: input.ExpressionAttributeValues[':attempts'] });
        return {};
      }
      default:
        throw new Error(`unexpected ${cmd.constructor.name}`);
    }
  };
  return { doc: { send } as unknown as Store['doc'], table: 'bench' };
}

const connectApi: ConnectApi = { updateContactAttributes: async () => {}, describeInstance: async () => 'ACTIVE', getContactAttributes: async () => ({}) };
const cxoneApi: CxoneApi = { signal: async () => {}, checkToken: async () => {} };

function event(vendor: 'amazon_connect' | 'nice_cxone') {
  return {
    version: 1,
    outcomeId: randomUUID(),
    sipCallId: `${randomUUID()}@bench`,
    vendor,
    kind: 'transfer',
    sessionHistoryKey: 'q3VdT1xO8mC0rJvY2kQm9A',
    customData: vendor === 'amazon_connect' ? { contact_attribute1: 'test', queue: 'billing' } : { p2: 'test', p3: 42 },
    occurredAt: new Date().toISOString(),
    ...(vendor === 'amazon_connect' ? { amazonConnect: { InstanceId: randomUUID(), InitialContactId: randomUUID() } } : { niceCxone: { ContactId: '724681396512' } }),
  };
}

async function warm(label: string, apply: (e: unknown) => Promise<{ status: string }>, vendor: 'amazon_connect' | 'nice_cxone'): Promise<void> {
  for (let i = 0; i < 2000; i++) await apply(event(vendor));
  const samples: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    const e = event(vendor);
    const t0 = performance.now();
    const r = await apply(e);
    samples.push(performance.now() - t0);
    if (r.status !== 'applied') throw new Error(`bench outcome not applied: ${JSON.stringify(r)}`);
  }
  console.log(`${label} warm overhead per outcome (n=10000): p50 ${ms(percentile(samples, 50))}  p99 ${ms(percentile(samples, 99))}  max ${ms(Math.max(...samples))}  (target p99 <= 2 ms)`);
}

const store = memoryStore();
await warm('amazon_connect', (e) => applyConnect(e, { api: connectApi, store, deadlineMs: 3000 }), 'amazon_connect');
await warm('nice_cxone    ', (e) => applyCxone(e, { api: cxoneApi, store, deadlineMs: 3000 }), 'nice_cxone');

const FUNCTIONS = [
  { name: 'amazonConnectOutcome', entry: 'functions/amazon-connect/outcome.ts', invoke: event('amazon_connect') },
  { name: 'amazonConnectContactFlow', entry: 'functions/amazon-connect/contact-flow.ts', invoke: undefined },
  { name: 'niceCxoneOutcome', entry: 'functions/nice-cxone/outcome.ts', invoke: event('nice_cxone') },
];
// Inside the project so that the external @aws-sdk/client-ssm resolves as in Lambda's runtime.
const out = mkdtempSync(join(root, '.bench-adapters-'));
const coldEnv = {
  ...process.env,
  LOG_LEVEL: 'silent',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIAFAKEBENCH',
  AWS_SECRET_ACCESS_KEY: randomUUID(),
  CXONE_ISSUER_URL: 'http://127.0.0.1:9',
  CXONE_CLIENT_ID: 'bench',
  CXONE_CLIENT_SECRET: randomUUID(),
  CXONE_ACCESS_KEY_ID: 'bench',
  CXONE_ACCESS_KEY_SECRET: randomUUID(),
};
try {
  for (const f of FUNCTIONS) {
    const outfile = join(out, `${f.name}.cjs`);
    await build({
      entryPoints: [join(root, f.entry)],
      outfile,
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['@aws-sdk/client-ssm'],
      logLevel: 'error',
      metafile: true,
    }).then((r) => {
      const top = Object.entries(r.metafile.outputs[Object.keys(r.metafile.outputs)[0]!]!.inputs)
        .map(([path, v]) => [path.replace(/^node_modules\//, '').split('/').slice(0, path.includes('@') ? 2 : 1).join('/'), v.bytesInOutput] as const)
        .reduce((m, [k, b]) => m.set(k, (m.get(k) ?? 0) + b), new Map<string, number>());
      const biggest = [...top].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, b]) => `${k} ${(b / 1024).toFixed(0)} KB`);
      console.log(`${f.name.padEnd(25)} largest parts: ${biggest.join(', ')}`);
    });
    const size = statSync(outfile).size;
    // kind=error: the adapter answers without any network request, so this is load + first call.
    const errorEvent = f.invoke ? JSON.stringify({ ...f.invoke, kind: 'error', sessionHistoryKey: undefined }) : 'null';
    // Lambda's Node runtime require()s a .cjs handler; import() would add the ESM translator's parse.
    const script = `const {createRequire}=await import('node:module');const req=createRequire(import.meta.url);const t0=performance.now();const m=req(${JSON.stringify(outfile)});const t1=performance.now();const ev=${errorEvent};if(ev)await m.handler(ev,{});const t2=performance.now();console.log(JSON.stringify({load:t1-t0,first:t2-t0}));`;
    const loads: number[] = [];
    const firsts: number[] = [];
    const walls: number[] = [];
    for (let i = 0; i < 7; i++) {
      const w0 = performance.now();
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: coldEnv, timeout: 30_000 });
      walls.push(performance.now() - w0);
      if (r.status !== 0) throw new Error(`${f.name} cold run failed: ${r.stderr.slice(-500)}`);
      const { load, first } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { load: number; first: number };
      loads.push(load);
      firsts.push(first);
    }
    console.log(
      `${f.name.padEnd(25)} bundle ${(size / 1024).toFixed(1)} KB minified; cold load median ${ms(percentile(loads, 50))}; load+first call median ${f.invoke ? ms(percentile(firsts, 50)) : 'n/a (needs DynamoDB)'}; node process wall median ${ms(percentile(walls, 50))}`,
    );
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
