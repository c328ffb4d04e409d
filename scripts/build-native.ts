/**
 * Builds the media core's native RTP pacer (media-core/native/rtp_pacer.c) into
 * media-core/native/build/rtp_pacer.node with the machine's C compiler and Node's own headers.
 *
 * Why not node-gyp: the addon is one Linux-only C file with no dependencies, so one compiler
 * call is the whole build; it needs no Python and no header download, and finishes in about
 * a second. Skips the build when the output is newer than the source (FORCE=1 rebuilds).
 * On other systems, or without a compiler, it prints why and exits 0: the media core then
 * runs RTP through node:dgram (media-core/media/native/load.ts says which one runs).
 *
 * Env: CC (default cc), NODE_INCLUDE_DIR (the folder holding node_api.h), FORCE.
 * Exit 1 when the compiler ran and failed (a broken source must not pass unnoticed).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'media-core/native/rtp_pacer.c');
const output = join(root, 'media-core/native/build/rtp_pacer.node');

/** The first folder holding node_api.h: NODE_INCLUDE_DIR, npm's nodedir, or beside this node binary. */
function nodeIncludeDir(): string | undefined {
  const candidates = [
    process.env.NODE_INCLUDE_DIR,
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include/node'),
    join(dirname(process.execPath), '../include/node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ];
  return candidates.find((d): d is string => !!d && existsSync(join(d, 'node_api.h')));
}

if (process.platform !== 'linux') {
  console.log(`build-native: skipped on ${process.platform} (the pacer uses epoll and timerfd); RTP runs through node:dgram`);
  process.exit(0);
}
if (!process.env.FORCE && existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) process.exit(0);
const include = nodeIncludeDir();
if (!include) {
  console.log('build-native: skipped, no node_api.h found (set NODE_INCLUDE_DIR); RTP runs through node:dgram');
  process.exit(0);
}
const cc = process.env.CC ?? 'cc';
mkdirSync(dirname(output), { recursive: true });
const args = ['-O2', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-Wno-unused-parameter', '-fPIC', '-shared', '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=rtp_pacer', `-I${include}`, '-o', output, source, '-lpthread'];
const r = spawnSync(cc, args, { stdio: 'inherit' });
if (r.error) {
  console.log(`build-native: skipped, ${cc} not runnable (${r.error.message}); RTP runs through node:dgram`);
  process.exit(0);
}
if (r.status !== 0) {
  console.error(`build-native: ${cc} failed (exit ${r.status})`);
  process.exit(1);
}
console.log(`build-native: built ${output.slice(root.length + 1)}`);
