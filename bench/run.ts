/**
 * `npm run bench`: runs every bench/*.bench.ts in its own process, one after the other,
 * and prints their figures. `npm run bench -- twilio` runs only files whose name contains "twilio";
 * `npm run bench -- conversation-load --speech embedded --calls 20` passes the rest to that bench.
 */
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MEDIA_CORE_NODE_FLAGS } from '../media-core/node-flags.ts';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
// Arguments after the filter go to the bench (e.g. `npm run bench -- conversation-load --speech embedded`).
const benchArgs = process.argv.slice(3);
const files = readdirSync(here).filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter))).sort();
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f}`);
  // The media benches run the engine in-process: give them the media core's V8 flags.
  const flags = /^(sip-load|sip-attack|sip-parse|rtp|turn)/.test(f) ? [...MEDIA_CORE_NODE_FLAGS] : [];
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', join(here, f), ...benchArgs], { stdio: 'inherit', env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' } });
  if (r.status !== 0) { failed++; console.log(`!!! ${f} exited ${r.status}`); }
}
console.log(`\nbench: ${files.length - failed} of ${files.length} ran`);
process.exit(failed ? 1 : 0);
