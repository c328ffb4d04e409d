/**
 * What the caller sends after the answer: RFC 4733 DTMF events replayed from SIPp's captures
 * (/usr/share/sip-tester/dtmf_2833_<digit>.pcap, one per digit, 140 ms each) and speech
 * synthesized with espeak-ng and converted to 8 kHz mu-law (G.711 PCMU, RTP payload type 0)
 * for SIPp's rtp_stream. Produces the SIPp <nop>/<pause> steps for dev/sipp/scenarios/caller-uac.xml.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeG711 } from '../../media-core/media/g711.ts';
import { shiftRtpInPcap } from './pcap-rtp.ts';

const run = promisify(execFile);

/** Directory of SIPp's DTMF captures (Debian package sip-tester). */
export const DTMF_PCAP_DIR = '/usr/share/sip-tester';
/** Gap after each 140 ms DTMF capture, so that digits arrive as distinct events, ms. */
export const DTMF_GAP_MS = 260;
/** A "," in the DTMF string waits this long (a dialer's pause), still answering REFER/BYE, ms. */
export const DTMF_PAUSE_MS = 1000;
/** Silence appended to speech so the media core's VAD sees the end of the utterance, s. */
export const TRAILING_SILENCE_S = 1.5;

/** The RMS from which a 20 ms frame counts as voiced (the VAD's default minRms). */
export const VOICED_RMS = 400;

/**
 * Offset of the end of the last 20 ms frame of 8 kHz PCM whose RMS reaches `voicedRms`, ms;
 * -1 when no frame does. espeak-ng ends its audio with silence of its own, so the audio's
 * length overstates where the voice ends.
 */
export function lastVoicedEndMs(pcm8k: Int16Array, voicedRms = VOICED_RMS): number {
  let last = -1;
  for (let f = 0; (f + 1) * 160 <= pcm8k.length; f++) {
    let sum = 0;
    for (let i = f * 160; i < (f + 1) * 160; i++) sum += pcm8k[i]! * pcm8k[i]!;
    if (Math.sqrt(sum / 160) >= voicedRms) last = f;
  }
  return last < 0 ? -1 : (last + 1) * 20;
}

/** Capture file of one DTMF digit (0-9, *, #). */
export function dtmfPcap(digit: string, dir = DTMF_PCAP_DIR): string {
  const name = digit === '*' ? 'star' : digit === '#' ? 'pound' : digit;
  if (!/^(\d|star|pound)$/.test(name)) throw new Error(`no DTMF capture for "${digit}"`);
  return join(dir, `dtmf_2833_${name}.pcap`);
}

/**
 * One capture per digit of `dtmf` ("," pauses skipped), in order. Every digit after the first
 * gets a copy in `workDir` with its RTP timestamps and sequence numbers moved on, so that a
 * repeated digit ("1134") is a new RFC 4733 event, not a replay of the previous one (same
 * timestamp = same event, RFC 4733 section 2.5.1.3).
 */
export function prepareDtmfPcaps(dtmf: string, workDir: string, dir = DTMF_PCAP_DIR): string[] {
  return [...dtmf.replace(/,/g, '')].map((digit, k) => {
    const source = dtmfPcap(digit, dir);
    if (k === 0) return source;
    const file = join(workDir, `dtmf_${k}.pcap`);
    // An odd, large step keeps the shifted timestamps apart from every capture's own ones.
    writeFileSync(file, shiftRtpInPcap(readFileSync(source), { timestamp: k * 0x01000193, sequence: k * 257 }));
    return file;
  });
}

/**
 * espeak-ng (22.05 kHz WAV) -> sox -> raw 8 kHz mono mu-law with 0.2 s lead-in and trailing
 * silence. Bounded to 20 s per tool.
 * @returns the raw file, its duration in ms (8000 bytes per second) and where its voice ends, ms.
 */
export async function synthesizeSpeech(phrase: string, workDir: string): Promise<{ file: string; durationMs: number; voiceEndMs: number }> {
  const wav = join(workDir, 'say.wav');
  const file = join(workDir, 'say.ulaw');
  await run('espeak-ng', ['-v', 'en-us', '-w', wav, phrase], { timeout: 20_000 });
  await run('sox', [wav, '-r', '8000', '-c', '1', '-e', 'mu-law', '-t', 'raw', file, 'pad', '0.2', String(TRAILING_SILENCE_S)], { timeout: 20_000 });
  const ulaw = readFileSync(file);
  return { file, durationMs: Math.round((statSync(file).size / 8000) * 1000), voiceEndMs: lastVoicedEndMs(decodeG711('PCMU', ulaw)) };
}

const xmlAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * A wait of `ms` that still answers the media core: a REFER jumps to the transfer branch, a
 * BYE to the hang-up branch (labels "refer" and "bye" of uac.xml), else the scenario goes on.
 */
function listen(ms: number, n: number): string[] {
  // 30000 is the marker buildScenario rewrites for the final wait; keep windows off it.
  const t = ms === 30000 ? 30001 : Math.max(1, Math.round(ms));
  // The timeout sits on the first recv: SIPp waits at that element (a later optional-group
  // member's timeout never fires), and a BYE is still matched by looking ahead.
  return [
    `<recv request="REFER" optional="true" timeout="${t}" ontimeout="media${n}" next="refer"/>`,
    `<recv request="BYE" next="bye"/>`,
    `<label id="media${n}"/>`,
  ];
}

/**
 * SIPp scenario steps: wait `afterMs` (the greeting), then each DTMF digit (played from
 * `pcapFiles`, one per digit, when given: prepareDtmfPcaps) ("," = a pause of
 * DTMF_PAUSE_MS, as on a dialer), then the speech. play_pcap_audio and rtp_stream run in the
 * background in SIPp, hence the waits, which listen for REFER/BYE so that a transfer during
 * the caller's input is handled.
 */
export function mediaSteps(opts: { afterMs: number; dtmf: string; speech?: { file: string; durationMs: number }; pcapDir?: string; pcapFiles?: string[] }): string {
  const steps: string[] = [];
  let n = 0;
  let k = 0;
  if (opts.afterMs > 0) steps.push(...listen(opts.afterMs, n++));
  for (const d of opts.dtmf) {
    if (d === ',') {
      steps.push(...listen(DTMF_PAUSE_MS, n++));
      continue;
    }
    const pcap = opts.pcapFiles?.[k++] ?? dtmfPcap(d, opts.pcapDir);
    steps.push(`<nop><action><exec play_pcap_audio="${xmlAttr(pcap)}"/></action></nop>`);
    steps.push(...listen(140 + DTMF_GAP_MS, n++));
  }
  if (opts.speech) {
    steps.push(`<nop><action><exec rtp_stream="${xmlAttr(opts.speech.file)},1,0"/></action></nop>`);
    steps.push(...listen(opts.speech.durationMs + 200, n++));
  }
  return steps.join('\n  ');
}

/** How long the caller's input of mediaSteps takes after the answer, ms (for the final wait). */
export function mediaDurationMs(opts: { afterMs: number; dtmf: string; speech?: { durationMs: number } }): number {
  let ms = opts.afterMs + (opts.speech ? opts.speech.durationMs + 200 : 0);
  for (const d of opts.dtmf) ms += d === ',' ? DTMF_PAUSE_MS : 140 + DTMF_GAP_MS;
  return ms;
}

/**
 * Fills dev/sipp/scenarios/caller-uac.xml: the vendor headers (in the INVITE's CDATA), the media steps, and
 * the wait for the media core's REFER or BYE (the timeout="30000" attributes).
 * @throws Error if a marker is missing from the template.
 */
export function buildScenario(template: string, fill: { headers: string[]; media: string; waitEndMs: number }): string {
  for (const marker of ['<!--VENDOR_HEADERS-->', '<!--MEDIA_ACTIONS-->']) {
    if (!template.includes(marker)) throw new Error(`scenario template lacks ${marker}`);
  }
  for (const h of fill.headers) if (/[\r\n]|]]>/.test(h)) throw new Error(`invalid header line: ${h}`);
  return template
    .replace(/^([ \t]*)<!--VENDOR_HEADERS-->\n/m, (_, indent: string) => fill.headers.map((h) => `${indent}${h}\n`).join(''))
    .replace('<!--MEDIA_ACTIONS-->', fill.media)
    .replace(/timeout="30000"/g, `timeout="${Math.max(1000, Math.round(fill.waitEndMs))}"`);
}
