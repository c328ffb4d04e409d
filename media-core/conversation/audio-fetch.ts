/**
 * Fetches the `audio` response's WAV file and checks the format the phone integration requires
 * (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions): mono, 16-bit PCM, 8000 Hz. The URL is the assistant's, so untrusted (server-side request forgery):
 *
 * - https only (the file is played to callers; a plain-http one could be swapped on the path);
 * - the connection goes only to public addresses: the HTTPS agent's own DNS `lookup` refuses
 *   private, loopback, link-local and every other special-use address
 *   (./fetch-address-policy.ts), so DNS rebinding cannot bypass the check, and IP literals
 *   are checked before the request;
 * - no redirects are followed (a 3xx is a failure: a public URL may not point inside);
 * - size and time limits; no proxy from the environment;
 * - a cache bounded by bytes (./audio-cache.ts).
 *
 * Loopback is allowed only by the development option `allowLoopback` (the local demo and the
 * tests, which serve files from 127.0.0.1 with a self-signed certificate given in `ca`).
 */
import { Agent } from 'node:https';
import axios from 'axios';
import type { AudioCache } from './audio-cache.ts';
import { addressProblem, guardedLookup } from './fetch-address-policy.ts';
import { parseWav, toInt16 } from './speech/pcm.ts';

export interface AudioLimits {
  /** Largest file, bytes. */
  maxBytes: number;
  /** Longest download, ms. */
  timeoutMs: number;
  /** Development only: allow 127.0.0.0/8 and ::1 (default false). */
  allowLoopback?: boolean;
  /** Development only: extra trusted CA certificate(s), PEM (a local self-signed server). */
  ca?: string | Buffer;
}

export const DEFAULT_AUDIO_LIMITS: AudioLimits = { maxBytes: 10 * 1024 * 1024, timeoutMs: 5000 };

/** Most connections the audio agent keeps per host. */
const MAX_SOCKETS_PER_HOST = 8;

// One agent per limits object (the runtime makes one from its configuration), so keep-alive works.
const agents = new WeakMap<AudioLimits, Agent>();
function agentFor(lim: AudioLimits): Agent {
  let a = agents.get(lim);
  if (!a) {
    a = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST, lookup: guardedLookup(!!lim.allowLoopback) as never, ...(lim.ca ? { ca: lim.ca } : {}) });
    agents.set(lim, a);
  }
  return a;
}

/**
 * Why `url` may not be fetched before any connection (scheme, credentials, IP literal), or undefined.
 * Host names are checked later, on each resolved address.
 */
export function audioUrlProblem(url: string, allowLoopback = false): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'https:') return `only https URLs are fetched, got ${u.protocol}`;
  if (u.username || u.password) return 'URLs with credentials are refused';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  if (/^[\d.]+$/.test(host) || host.includes(':')) return addressProblem(host, allowLoopback);
  return undefined;
}

/**
 * @returns 8 kHz samples (from the cache when present).
 * @throws Error "audio fetch failed: ..." (refused URL or address, redirect, HTTP error,
 *   timeout, over maxBytes) or "audio must be a WAV of 8000 Hz mono 16-bit PCM; got ...".
 */
export async function fetchWav8k(url: string, cache: AudioCache, lim: AudioLimits = DEFAULT_AUDIO_LIMITS): Promise<Int16Array> {
  const hit = cache.get(url);
  if (hit) return hit;
  const refused = audioUrlProblem(url, !!lim.allowLoopback);
  if (refused) throw new Error(`audio fetch failed: ${refused}`);
  let data: Buffer;
  try {
    const r = await axios.get(url, {
      responseType: 'arraybuffer',
      timeout: lim.timeoutMs,
      maxContentLength: lim.maxBytes,
      maxRedirects: 0,
      proxy: false,
      httpsAgent: agentFor(lim),
      validateStatus: (s) => s === 200,
    });
    data = Buffer.from(r.data as ArrayBuffer);
  } catch (err) {
    throw new Error(`audio fetch failed: ${axios.isAxiosError(err) ? (err.response ? `HTTP ${err.response.status}${err.response.status >= 300 && err.response.status < 400 ? ' (redirects are not followed)' : ''}` : (err.cause as Error | undefined)?.message ?? err.code ?? err.message) : (err as Error).message}`);
  }
  const wav = parseWav(data);
  if (wav.format !== 1 || wav.channels !== 1 || wav.sampleRate !== 8000 || wav.bitsPerSample !== 16) {
    throw new Error(`audio must be a WAV of 8000 Hz mono 16-bit PCM; got format ${wav.format}, ${wav.channels} channel(s), ${wav.sampleRate} Hz, ${wav.bitsPerSample} bits`);
  }
  const pcm = toInt16(wav.data);
  cache.set(url, pcm);
  return pcm;
}
