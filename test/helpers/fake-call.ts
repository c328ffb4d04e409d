/**
 * A fake {@link Call} for tests: records answer/reject/play/refer/hangup and
 * digits sent, and lets the test emit the caller's digits and audio. Playback "plays" in
 * real time at `speed` x (default 50x faster), so barge-in can interrupt it.
 */
import { EventEmitter } from 'node:events';
import type { AudioSource, Call, CallInfo, PlaybackResult, ReferOptions, ReferResult } from '../../media-core/call/types.ts';
import type { SipHeader } from '../../events/sip-header.ts';

export interface PlayRecord {
  /** performance.now() when play() was called and when the first chunk was available. */
  at: number;
  firstAudioAt: number;
  samples: number;
  result?: PlaybackResult;
}

export function fakeCallInfo(over: Partial<CallInfo> = {}): CallInfo {
  return {
    callId: `call-${Math.random().toString(36).slice(2)}@127.0.0.1`,
    requestUri: 'sip:+15550100001@127.0.0.1:5060',
    fromUri: 'sip:+15551234567@127.0.0.1',
    toUri: 'sip:+15550100001@127.0.0.1',
    calledUser: '+15550100001',
    callerUser: '+15551234567',
    inviteHeaders: [],
    transport: 'udp',
    remote: { address: '127.0.0.1', port: 5070 },
    codec: 'PCMU',
    telephoneEvent: true,
    srtp: false,
    ...over,
  };
}

export class FakeCall extends EventEmitter implements Call {
  state: Call['state'] = 'ringing';
  rejected?: { status: number; reason?: string };
  readonly plays: PlayRecord[] = [];
  readonly refers: { target: string; opts?: ReferOptions }[] = [];
  hangups: SipHeader[][] = [];
  readonly sentDigits: { digits: string; intervalMs?: number }[] = [];
  /** What refer() answers. */
  referResult: ReferResult = { status: 'success', code: 200 };
  private stopCurrent: (() => void) | undefined;

  constructor(
    readonly info: CallInfo = fakeCallInfo(),
    private readonly speed = 50,
  ) {
    super();
  }

  async answer(): Promise<void> {
    if (this.state === 'ended') throw new Error('call ended');
    this.state = 'answered';
    this.emit('answered');
  }

  reject(status: number, reason?: string): void {
    this.rejected = { status, reason };
    this.state = 'ended';
  }

  async play(source: AudioSource): Promise<PlaybackResult> {
    this.stopCurrent?.();
    const rec: PlayRecord = { at: performance.now(), firstAudioAt: 0, samples: 0 };
    this.plays.push(rec);
    let stopped = false;
    let wake: (() => void) | undefined;
    this.stopCurrent = () => {
      stopped = true;
      wake?.();
    };
    const chunks: AsyncIterable<Int16Array> | Int16Array[] = source instanceof Int16Array ? [source] : source;
    for await (const c of chunks) {
      if (!rec.firstAudioAt) rec.firstAudioAt = performance.now();
      if (stopped || this.isEnded()) break;
      rec.samples += c.length;
      const ms = c.length / 8 / this.speed;
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, ms);
      });
      if (stopped || this.isEnded()) break;
    }
    const result = { completed: !stopped && !this.isEnded(), playedMs: rec.samples / 8 };
    rec.result = result;
    return result;
  }

  private isEnded(): boolean {
    return this.state === 'ended';
  }

  stopPlayback(): void {
    this.stopCurrent?.();
  }

  async sendDigits(digits: string, opts?: { intervalMs?: number }): Promise<void> {
    this.sentDigits.push({ digits, intervalMs: opts?.intervalMs });
  }

  async refer(target: string, opts?: ReferOptions): Promise<ReferResult> {
    this.refers.push({ target, opts });
    return this.referResult;
  }

  async hangup(headers: SipHeader[] = []): Promise<void> {
    if (this.state === 'ended') return;
    this.hangups.push(headers);
    this.end('local', 'hangup');
  }

  /** The caller presses a key. */
  press(digit: string): void {
    this.emit('digit', { digit, source: 'rfc4733' });
  }

  /** The caller hangs up. */
  remoteHangup(): void {
    this.end('remote', 'BYE');
  }

  private end(by: 'remote' | 'local', reason: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.stopCurrent?.();
    this.emit('hangup', { by, reason });
  }
}

/** Waits until `cond()` holds (polling every 5 ms), at most `ms`. @throws on timeout with `what`. */
export async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
