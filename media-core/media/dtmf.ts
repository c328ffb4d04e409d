/**
 * RFC 4733 telephone-event DTMF (events 0-15) carried in RTP: payload parsing/writing,
 * a receiver that turns event packets into digits, and a sender that paces a digit string
 * into event packets, one per 20 ms slot.
 */
import type { DigitEvent } from '../call/types.ts';

/** Digits by RFC 4733 event code 0-15 (section 3.2). */
export const DTMF_DIGITS = '0123456789*#ABCD';

/** The digit of event code 0-15, or undefined for any other event. */
export function eventToDigit(event: number): string | undefined {
  return event >= 0 && event < 16 ? DTMF_DIGITS[event] : undefined;
}

/** The event code of a digit (case-insensitive), or -1 when it is not a DTMF digit. */
export function digitToEvent(digit: string): number {
  return digit.length === 1 ? DTMF_DIGITS.indexOf(digit.toUpperCase()) : -1;
}

/** One telephone-event payload (RFC 4733 section 2.3). */
export interface TelephoneEvent {
  /** Event code (0-255). */
  event: number;
  /** E bit: the event has ended. */
  end: boolean;
  /** Power level in -dBm0 (0-63). */
  volume: number;
  /** Duration so far, in timestamp units (1/8000 s for 8 kHz). */
  duration: number;
}

/** Bytes of one telephone-event payload block. */
export const TELEPHONE_EVENT_LENGTH = 4;

/** Parses the first event block of a payload; null when shorter than 4 bytes. */
export function parseTelephoneEvent(buf: Uint8Array, offset = 0, length = buf.length - offset): TelephoneEvent | null {
  if (offset < 0 || length < TELEPHONE_EVENT_LENGTH || offset + TELEPHONE_EVENT_LENGTH > buf.length) return null;
  return {
    event: buf[offset]!,
    end: (buf[offset + 1]! & 0x80) !== 0,
    volume: buf[offset + 1]! & 0x3f,
    duration: (buf[offset + 2]! << 8) | buf[offset + 3]!,
  };
}

/** Writes a 4-byte event block at `offset`; duration is clamped to 0xFFFF. @returns 4. */
export function writeTelephoneEvent(buf: Uint8Array, offset: number, event: number, end: boolean, volume: number, duration: number): number {
  const d = Math.min(0xffff, Math.max(0, Math.round(duration)));
  buf[offset] = event & 0xff;
  buf[offset + 1] = (end ? 0x80 : 0) | (volume & 0x3f);
  buf[offset + 2] = d >>> 8;
  buf[offset + 3] = d & 0xff;
  return TELEPHONE_EVENT_LENGTH;
}

/** Options of {@link DtmfReceiver}. */
export interface DtmfReceiverOptions {
  /** Emit an event with no end packet after this many ms without a packet for it (default 300). */
  timeoutMs?: number;
  /** RTP clock rate in Hz (default 8000), to turn durations into ms. */
  clockRate?: number;
}

/**
 * Turns received telephone-event packets into digits: one digit per event (an event is
 * identified by its RTP timestamp, RFC 4733 section 2.5.1.3), emitted at the first end
 * packet; the usual retransmitted end packets are ignored; an event whose end packets were
 * all lost is emitted when a new event starts or after `timeoutMs` of silence.
 */
export class DtmfReceiver {
  private readonly timeoutMs: number;
  private readonly clockRate: number;
  private active = false;
  private emitted = false;
  private timestamp = -1;
  private event = 0;
  private duration = 0;
  /** Timestamp of the last emitted event, so late end packets of it are not a new event. */
  private lastEmitted = -1;
  private timer: NodeJS.Timeout | undefined;

  /** @param onDigit called once per digit, with source 'rfc4733' and durationMs. */
  constructor(private readonly onDigit: (d: DigitEvent) => void, opts: DtmfReceiverOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 300;
    this.clockRate = opts.clockRate ?? 8000;
  }

  /**
   * Feeds one telephone-event packet.
   * @param timestamp the packet's RTP timestamp; @param payload its payload bytes.
   * Bad payloads and events above 15 (non-DTMF) are ignored.
   */
  push(timestamp: number, payload: Uint8Array, offset = 0, length = payload.length - offset): void {
    const ev = parseTelephoneEvent(payload, offset, length);
    if (!ev || ev.event > 15) return;
    if (!this.active || timestamp !== this.timestamp) {
      if (timestamp === this.lastEmitted) return;
      this.finish();
      this.active = true;
      this.emitted = false;
      this.timestamp = timestamp;
      this.event = ev.event;
      this.duration = 0;
    }
    if (this.emitted) return;
    if (ev.duration > this.duration) this.duration = ev.duration;
    if (ev.end) {
      this.emit();
      return;
    }
    this.arm();
  }

  /** Emits a pending event (no end packet yet) and stops the timeout timer. */
  close(): void {
    this.finish();
  }

  /** Drops a pending event without emitting it and stops the timer (call teardown). */
  dispose(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    this.active = false;
  }

  private finish(): void {
    if (this.active && !this.emitted) this.emit();
    this.active = false;
  }

  private emit(): void {
    this.emitted = true;
    this.lastEmitted = this.timestamp;
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    this.onDigit({ digit: DTMF_DIGITS[this.event]!, durationMs: Math.round((this.duration * 1000) / this.clockRate), source: 'rfc4733' });
  }

  private arm(): void {
    if (this.timer) { this.timer.refresh(); return; }
    this.timer = setTimeout(() => { this.timer = undefined; this.finish(); }, this.timeoutMs);
    this.timer.unref();
  }
}

/** Options of {@link DtmfSender.start} and RtpSession.sendDigits. */
export interface SendDigitsOptions {
  /** Gap between the end of one digit and the start of the next, ms (default 200). */
  intervalMs?: number;
  /** Tone duration per digit, ms (default 100). */
  durationMs?: number;
  /** Power level in -dBm0 (default 10). */
  volume?: number;
}

/** What {@link DtmfSender.next} produced for a slot. */
export enum DtmfStep {
  /** Nothing to send in this slot (gap between digits). */
  Idle = 0,
  /** A 4-byte event payload was written; see `marker` and `eventTimestamp`. */
  Packet = 1,
  /** Every digit has been sent. */
  Done = 2,
}

/** Number of end packets per event (RFC 4733 section 2.5.1.4 recommends three). */
const END_PACKETS = 3;

/**
 * Paces digits into RFC 4733 packets, one per 20 ms slot: duration grows by one frame per
 * packet, the marker bit is set on the first packet of an event, the event keeps the RTP
 * timestamp of its first packet, and three end packets close it.
 */
export class DtmfSender {
  /** Marker bit for the packet just produced. */
  marker = false;
  /** RTP timestamp for the packet just produced (the event's start). */
  eventTimestamp = 0;
  private digits: number[] = [];
  private index = 0;
  private frame = 0;
  private toneFrames = 5;
  private gapFrames = 10;
  private volume = 10;
  private gapLeft = 0;
  private readonly samplesPerFrame: number;

  /** @param samplesPerFrame timestamp units per slot (160 = 20 ms at 8 kHz). */
  constructor(samplesPerFrame = 160) {
    this.samplesPerFrame = samplesPerFrame;
  }

  /** true while digits remain to be sent. */
  get active(): boolean {
    return this.index < this.digits.length;
  }

  /**
   * Starts sending `digits` (replacing anything not yet sent).
   * @throws Error naming the first character that is not 0-9 * # A-D.
   */
  start(digits: string, opts: SendDigitsOptions = {}): void {
    const codes: number[] = [];
    for (const ch of digits) {
      const code = digitToEvent(ch);
      if (code < 0) throw new Error(`not a DTMF digit: ${JSON.stringify(ch)}`);
      codes.push(code);
    }
    const frameMs = (this.samplesPerFrame * 1000) / 8000;
    this.toneFrames = Math.max(1, Math.round((opts.durationMs ?? 100) / frameMs));
    this.gapFrames = Math.max(0, Math.round((opts.intervalMs ?? 200) / frameMs));
    this.volume = opts.volume ?? 10;
    this.digits = codes;
    this.index = 0;
    this.frame = 0;
    this.gapLeft = 0;
  }

  /** Abandons the digits not yet sent. */
  stop(): void {
    this.digits = [];
    this.index = 0;
  }

  /**
   * Produces the packet for one slot.
   * @param out buffer receiving the 4-byte payload at `offset`.
   * @param slotTimestamp the RTP timestamp of this slot (used when an event starts).
   */
  next(out: Uint8Array, offset: number, slotTimestamp: number): DtmfStep {
    if (this.index >= this.digits.length) return DtmfStep.Done;
    if (this.gapLeft > 0) {
      this.gapLeft--;
      return DtmfStep.Idle;
    }
    const f = this.frame++;
    this.marker = f === 0;
    if (f === 0) this.eventTimestamp = slotTimestamp >>> 0;
    const event = this.digits[this.index]!;
    const growing = this.toneFrames - 1;
    if (f < growing) {
      writeTelephoneEvent(out, offset, event, false, this.volume, (f + 1) * this.samplesPerFrame);
    } else {
      writeTelephoneEvent(out, offset, event, true, this.volume, this.toneFrames * this.samplesPerFrame);
      if (f - growing === END_PACKETS - 1) {
        this.index++;
        this.frame = 0;
        this.gapLeft = this.index < this.digits.length ? this.gapFrames : 0;
      }
    }
    return DtmfStep.Packet;
  }
}
