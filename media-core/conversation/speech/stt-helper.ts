/**
 * One long-lived pocketsphinx decoder process (media-core/native/stt_decoder.c, built by
 * `npm run build:native`), driven over its stdin/stdout framing: u32 little-endian length,
 * u8 op, payload. The process keeps the acoustic model and dictionary loaded, loads named
 * JSGF grammars on demand (W3C JSpeech Grammar Format, https://www.w3.org/TR/jsgf/) and
 * keeps the most recently used ones, and decodes one utterance at a time at lower priority.
 *
 * {@link SttWorker} is the seam the pool (./stt-pool.ts) schedules on: this process, or,
 * where the helper is not built, {@link OneShotWorker} (one pocketsphinx_continuous per
 * utterance, the old path).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lru } from './lru.ts';
import { writeWav } from './pcm.ts';

/** A grammar to decode with: a stable name (derived from the text) and the JSGF text. */
export interface NamedGrammar {
  name: string;
  jsgf: string;
}

/** The grammar of a JSGF text, named by a hash of the text (so equal texts share one search). */
export function namedGrammar(jsgf: string): NamedGrammar {
  return { name: `g${createHash('sha256').update(jsgf).digest('hex').slice(0, 24)}`, jsgf };
}

/** A decoder's answer for one utterance. */
export interface Decoded {
  /** The hypothesis ("" when nothing was recognized). */
  text: string;
  /**
   * 10 ms frames the hypothesis' words span, silences and fillers left out (undefined where
   * the worker cannot tell: pocketsphinx_continuous).
   */
  wordFrames?: number;
}

/** A decoder that takes one utterance at a time. */
export interface SttWorker {
  /**
   * Decodes 16 kHz 16-bit mono PCM with `grammar`, or with the language model when undefined.
   * @throws Error when the decoder failed or died.
   */
  decode(grammar: NamedGrammar | undefined, pcm16k: Int16Array): Promise<Decoded>;
  /** false once the worker died or was closed (the pool replaces it). */
  readonly alive: boolean;
  /** Stops the worker; pending decodes reject. */
  close(): void;
}

/** Options of the decoder process. */
export interface HelperOptions {
  /** Path of the stt_decoder binary (default {@link helperBinaryPath}). */
  binary?: string;
  /** Acoustic model directory. */
  hmm: string;
  /** Pronunciation dictionary. */
  dict: string;
  /** Language model for utterances without a grammar (default: the model's en-us.lm.bin beside hmm). */
  lm?: string;
  /** Named grammars kept loaded per process (default 16). */
  maxGrammars?: number;
  /** Nice value of the process, 0-19 (default 10). */
  nice?: number;
  /** Longest model load, ms (default 30000). */
  startTimeoutMs?: number;
}

/** Where `npm run build:native` puts the helper (STT_DECODER_BIN overrides; the container sets it). */
export function helperBinaryPath(): string {
  return process.env.STT_DECODER_BIN ?? join(dirname(fileURLToPath(import.meta.url)), '../../native/build/stt_decoder');
}

/** The language model shipped beside the acoustic model (Debian pocketsphinx-en-us). */
export function defaultLm(hmm: string): string {
  return join(dirname(hmm), `${hmm.split('/').pop()}.lm.bin`);
}

const MAX_REPLY = 1024 * 1024;

/** One reply frame: its op and its payload ('E': a UTF-8 message). */
interface Reply {
  op: string;
  body: Buffer;
}

interface Pending {
  resolve(r: Reply): void;
  reject(e: Error): void;
}

/** The decoder process. Start it with {@link SttHelperProcess.start}. */
export class SttHelperProcess implements SttWorker {
  private readonly pending: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private dead: Error | undefined;
  private readonly loaded: Lru<string, true>;
  private readonly capacity: number;
  private stderr = '';

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    maxGrammars: number,
  ) {
    this.capacity = maxGrammars;
    this.loaded = new Lru(maxGrammars);
    child.stdout.on('data', (d: Buffer) => this.onData(d));
    child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-500)));
    child.stdin.on('error', () => {});
    child.on('error', (e) => this.die(new Error(`stt_decoder could not start: ${e.message}`)));
    child.on('exit', (code, signal) => this.die(new Error(`stt_decoder exited (${signal ?? code})${this.stderr ? `: ${this.stderr.trim()}` : ''}`)));
  }

  /**
   * Spawns the helper and waits for its ready frame (the model is loaded).
   * @throws Error when the binary is missing, the model cannot be loaded, or it takes longer than startTimeoutMs.
   */
  static async start(o: HelperOptions): Promise<SttHelperProcess> {
    const binary = o.binary ?? helperBinaryPath();
    if (!existsSync(binary)) throw new Error(`stt_decoder not built at ${binary} (npm run build:native)`);
    const maxGrammars = o.maxGrammars ?? 16;
    const args = ['-hmm', o.hmm, '-dict', o.dict, '-lm', o.lm ?? defaultLm(o.hmm), '-max-grammars', String(maxGrammars), '-nice', String(o.nice ?? 10)];
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const h = new SttHelperProcess(child, maxGrammars);
    let timer: NodeJS.Timeout | undefined;
    try {
      const ready = await Promise.race([
        h.expect(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`stt_decoder did not load its model in ${o.startTimeoutMs ?? 30000} ms`)), o.startTimeoutMs ?? 30000))),
      ]);
      if (ready.op !== 'R') throw new Error(`stt_decoder could not start: ${ready.body.toString('utf8')}`);
    } catch (err) {
      h.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return h;
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** OS process id (tests, CPU accounting). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  async decode(grammar: NamedGrammar | undefined, pcm16k: Int16Array): Promise<Decoded> {
    const replies: Promise<Reply>[] = [];
    if (grammar && this.loaded.get(grammar.name) === undefined) {
      if (this.loaded.size >= this.capacity) {
        const oldest = this.loaded.oldest();
        if (oldest !== undefined) {
          this.loaded.delete(oldest);
          replies.push(this.send('U', Buffer.from(oldest)));
        }
      }
      replies.push(this.send('G', Buffer.concat([Buffer.from(grammar.name), Buffer.from([0]), Buffer.from(grammar.jsgf)])));
      this.loaded.set(grammar.name, true);
    }
    const pcm = Buffer.from(pcm16k.buffer, pcm16k.byteOffset, pcm16k.byteLength);
    replies.push(this.send('D', Buffer.concat([Buffer.from(grammar?.name ?? ''), Buffer.from([0]), pcm])));
    const all = await Promise.all(replies);
    const bad = all.find((r) => r.op === 'E');
    if (bad) {
      if (grammar) this.loaded.delete(grammar.name);
      throw new Error(`stt_decoder: ${bad.body.toString('utf8')}`);
    }
    const h = all.at(-1)!;
    if (h.op !== 'H' || h.body.length < 4) throw new Error(`stt_decoder: unexpected reply ${h.op}`);
    return { text: h.body.toString('utf8', 4).trim(), wordFrames: h.body.readUInt32LE(0) };
  }

  close(): void {
    if (!this.dead) this.die(new Error('stt_decoder closed'));
    this.child.kill('SIGKILL');
  }

  private send(op: string, payload: Buffer): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    const head = Buffer.alloc(5);
    head.writeUInt32LE(payload.length + 1, 0);
    head.write(op, 4, 'latin1');
    this.child.stdin.write(Buffer.concat([head, payload]));
    return this.expect();
  }

  private expect(): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 5) {
      const n = this.buf.readUInt32LE(0);
      if (n < 1 || n > MAX_REPLY) return this.close();
      if (this.buf.length < 4 + n) return;
      const op = String.fromCharCode(this.buf[4]!);
      const body = Buffer.from(this.buf.subarray(5, 4 + n));
      this.buf = this.buf.subarray(4 + n);
      const p = this.pending.shift();
      if (!p) return this.close();
      p.resolve({ op, body });
    }
  }

  private die(err: Error): void {
    this.dead ??= err;
    for (const p of this.pending.splice(0)) p.reject(this.dead);
  }
}

/**
 * The fallback worker where the helper is not built: one `pocketsphinx_continuous` process
 * per utterance (the model is loaded again each time: about 5x the CPU of the helper in
 * grammar mode). Still scheduled by the pool, so its bounds hold.
 */
export class OneShotWorker implements SttWorker {
  readonly alive = true;
  private readonly dir = mkdtempSync(join(tmpdir(), 'pocketsphinx-'));
  private seq = 0;
  constructor(
    private readonly o: { hmm: string; dict: string; timeoutMs?: number },
    private readonly run: (wavFile: string, args: string[], timeoutMs: number) => Promise<string>,
  ) {}

  async decode(grammar: NamedGrammar | undefined, pcm16k: Int16Array): Promise<Decoded> {
    const n = ++this.seq;
    const wav = join(this.dir, `u${n}.wav`);
    const args = ['-hmm', this.o.hmm, '-dict', this.o.dict];
    if (grammar) {
      const g = join(this.dir, `${grammar.name}.jsgf`);
      if (!existsSync(g)) writeFileSync(g, grammar.jsgf);
      args.push('-jsgf', g);
    }
    writeFileSync(wav, writeWav(pcm16k, 16000));
    try {
      return { text: await this.run(wav, args, this.o.timeoutMs ?? 10000) };
    } finally {
      rmSync(wav, { force: true });
    }
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
