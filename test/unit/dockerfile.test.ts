/**
 * No Docker engine runs here, so the media core's Dockerfile is checked by reading it and by
 * running the same build command line it runs: every COPY source exists, the esbuild stage
 * produces the file CMD starts, the image runs as a non-root user and exposes SIP and RTP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MEDIA_CORE_NODE_FLAGS } from '../../media-core/node-flags.ts';

const root = new URL('../..', import.meta.url).pathname;
const text = readFileSync(join(root, 'media-core/Dockerfile'), 'utf8');
/** Instructions with continuation lines joined and comments dropped. */
const instructions = text
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => { const [op, ...rest] = l.split(/\s+/); return { op: op!.toUpperCase(), args: rest.join(' ') }; });

test('every COPY source from the build context exists', () => {
  const copies = instructions.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'));
  assert.ok(copies.length >= 3);
  for (const c of copies) {
    const parts = c.args.split(/\s+/);
    for (const src of parts.slice(0, -1)) {
      if (src.endsWith('*')) {
        // "file*" is Docker's idiom for an optional file; this repository has them all.
        assert.ok(existsSync(join(root, src.slice(0, -1))), `COPY ${src} is missing`);
      } else if (src.includes('*')) {
        // Only "dir/*.ext" patterns are used; Node 20 has no fs.globSync.
        const dirPart = src.slice(0, src.lastIndexOf('/'));
        const ext = src.slice(src.lastIndexOf('*') + 1);
        assert.ok(readdirSync(join(root, dirPart)).some((f) => f.endsWith(ext)), `COPY ${src} matches nothing`);
      } else assert.ok(existsSync(join(root, src)), `COPY ${src} is missing`);
    }
  }
});

test('the image runs as a non-root user and exposes SIP (UDP, TCP, TLS) and RTP', () => {
  const users = instructions.filter((i) => i.op === 'USER');
  assert.ok(users.length > 0 && users.at(-1)!.args !== 'root');
  const expose = instructions.filter((i) => i.op === 'EXPOSE').map((i) => i.args).join(' ');
  for (const p of ['5060/udp', '5060/tcp', '5061/tcp']) assert.ok(expose.includes(p), `EXPOSE ${p}`);
  assert.match(expose, /\d+-\d+\/udp/);
});

test('the build stage command lines bundle media-core/main.ts (the file CMD runs), and nothing else', () => {
  const run = instructions.find((i) => i.op === 'RUN' && i.args.includes('esbuild'));
  assert.ok(run, 'an esbuild RUN step');
  const builds = run.args.split('&&').map((c) => c.trim()).filter((c) => c.startsWith('npx esbuild '));
  const outfiles = builds.map((c) => /--outfile=(\S+)/.exec(c)?.[1]);
  const cmd = instructions.filter((i) => i.op === 'CMD').at(-1);
  const started = (JSON.parse(cmd!.args) as string[]).find((a) => a.endsWith('.mjs'));
  assert.ok(started && outfiles.includes(started), 'CMD runs what the build stage writes');
  for (const flag of MEDIA_CORE_NODE_FLAGS) assert.ok(JSON.parse(cmd!.args).includes(flag), `CMD runs node with ${flag}`);
  // One bundle: RTP runs on the main thread or the native pacer, no worker entry to ship.
  assert.deepEqual(outfiles, [started]);
  const dir = mkdtempSync(join(tmpdir(), 'docker-build-'));
  try {
    for (const [i, build] of builds.entries()) {
      const args = build.replace(/^npx\s+esbuild\s+/, '').split(/\s+/).map((a) => (a.startsWith('--outfile=') ? `--outfile=${join(dir, `bundle${i}.mjs`)}` : a));
      execFileSync(join(root, 'node_modules/.bin/esbuild'), [...args, '--log-level=error'], { cwd: root, stdio: 'pipe' });
      assert.ok(statSync(join(dir, `bundle${i}.mjs`)).size > 5_000, `bundle ${i} written`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
