/**
 * Builds the media core's native parts with the machine's C compiler:
 *
 * - the RTP pacer (media-core/native/rtp_pacer.c) into media-core/native/build/rtp_pacer.node,
 *   against Node's own headers;
 * - the speech-to-text decoder helper (media-core/native/stt_decoder.c) into
 *   media-core/native/build/stt_decoder, linked with libpocketsphinx and libsphinxbase
 *   (Debian libpocketsphinx-dev libsphinxbase-dev; flags from pkg-config where present).
 *
 * Why not node-gyp: each part is one Linux C file, so one compiler call is the whole build;
 * it needs no Python and no header download, and finishes in about a second. Skips a part
 * whose output is newer than its source (FORCE=1 rebuilds).
 *
 * When a part cannot be built:
 * - not Linux, or no compiler: prints why and exits 0; the media core then runs RTP through
 *   node:dgram and speech to text through one pocketsphinx_continuous process per utterance;
 * - Linux with a compiler but no pocketsphinx headers: a loud warning, exit 0 — except in CI
 *   (CI set, as CI services set it) or with NATIVE_REQUIRED=1, where it exits 1;
 * - the compiler ran and failed: exit 1 (a broken source must not pass unnoticed).
 *
 * Env: CC (default cc), NODE_INCLUDE_DIR (the folder holding node_api.h), FORCE, CI,
 * NATIVE_REQUIRED.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pacerSource = join(root, 'media-core/native/rtp_pacer.c');
const pacerOutput = join(root, 'media-core/native/build/rtp_pacer.node');
const decoderSource = join(root, 'media-core/native/stt_decoder.c');
const decoderOutput = join(root, 'media-core/native/build/stt_decoder');
const cc = process.env.CC ?? 'cc';
/** In CI every native part must build: a skip there would hide a broken toolchain. */
const required = (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') || process.env.NATIVE_REQUIRED === '1';

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

const upToDate = (source: string, output: string) => !process.env.FORCE && existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs;

/** Runs the compiler. @returns 'built', 'no-compiler', or exits 1 when it ran and failed. */
function compile(args: string[], output: string): 'built' | 'no-compiler' {
  mkdirSync(dirname(output), { recursive: true });
  const r = spawnSync(cc, args, { stdio: 'inherit' });
  if (r.error) return 'no-compiler';
  if (r.status !== 0) {
    console.error(`build-native: ${cc} failed (exit ${r.status}) building ${output.slice(root.length + 1)}`);
    process.exit(1);
  }
  console.log(`build-native: built ${output.slice(root.length + 1)}`);
  return 'built';
}

/** Compiler and linker flags for pocketsphinx 5prealpha (Debian's 0.8+5prealpha), or undefined when its headers are absent. */
function pocketsphinxFlags(): { cflags: string[]; libs: string[] } | undefined {
  const pc = spawnSync('pkg-config', ['--cflags', '--libs', 'pocketsphinx', 'sphinxbase'], { encoding: 'utf8' });
  if (!pc.error && pc.status === 0) {
    const all = pc.stdout.trim().split(/\s+/).filter(Boolean);
    return { cflags: all.filter((f) => f.startsWith('-I')), libs: all.filter((f) => !f.startsWith('-I')) };
  }
  if (!existsSync('/usr/include/pocketsphinx/pocketsphinx.h')) return undefined;
  // Without pkg-config: sphinxbase's headers live in /usr/include/sphinxbase or a multiarch folder.
  const multiarch = existsSync('/usr/include') ? readdirSync('/usr/include').map((d) => join('/usr/include', d, 'sphinxbase')) : [];
  const sb = ['/usr/include/sphinxbase', '/usr/local/include/sphinxbase', ...multiarch].find((d) => existsSync(join(d, 'cmd_ln.h')));
  if (!sb) return undefined;
  return { cflags: ['-I/usr/include/pocketsphinx', `-I${sb}`, `-I${dirname(sb)}`], libs: ['-lpocketsphinx', '-lsphinxbase'] };
}

function buildPacer(): void {
  if (upToDate(pacerSource, pacerOutput)) return;
  const include = nodeIncludeDir();
  if (!include) {
    console.log('build-native: pacer skipped, no node_api.h found (set NODE_INCLUDE_DIR); RTP runs through node:dgram');
    if (required) process.exit(1);
    return;
  }
  const args = ['-O2', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-Wno-unused-parameter', '-fPIC', '-shared', '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=rtp_pacer', `-I${include}`, '-o', pacerOutput, pacerSource, '-lpthread'];
  if (compile(args, pacerOutput) === 'no-compiler') {
    console.log(`build-native: skipped, ${cc} not runnable; RTP runs through node:dgram, speech to text through pocketsphinx_continuous`);
    process.exit(required ? 1 : 0);
  }
}

function buildDecoder(): void {
  if (upToDate(decoderSource, decoderOutput)) return;
  const flags = pocketsphinxFlags();
  if (!flags) {
    const lines = [
      '',
      '  build-native: WARNING: the speech-to-text decoder helper (media-core/native/stt_decoder.c)',
      '  was NOT built: the pocketsphinx headers are missing. Install them with',
      '    sudo apt-get install libpocketsphinx-dev libsphinxbase-dev pkg-config',
      '  Until then, speech to text starts one pocketsphinx_continuous process per utterance',
      '  (slower: the model is loaded again for every utterance).',
      '',
    ];
    console.error(lines.join('\n'));
    if (required) {
      console.error('build-native: failing, since every native part must build here (CI or NATIVE_REQUIRED=1)');
      process.exit(1);
    }
    return;
  }
  const args = ['-O2', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-Wno-unused-parameter', ...flags.cflags, '-o', decoderOutput, decoderSource, ...flags.libs];
  if (compile(args, decoderOutput) === 'no-compiler') {
    console.log(`build-native: decoder skipped, ${cc} not runnable`);
    if (required) process.exit(1);
  }
}

if (process.platform !== 'linux') {
  console.log(`build-native: skipped on ${process.platform} (the pacer uses epoll and timerfd); RTP runs through node:dgram, speech to text through pocketsphinx_continuous`);
  process.exit(0);
}
buildPacer();
buildDecoder();
