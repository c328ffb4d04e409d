/**
 * Message framing on stream transports (TCP, TLS; RFC 3261 section 18.3): the header
 * section ends at CRLFCRLF and the body is exactly Content-Length octets. CRLF keepalives
 * between messages (RFC 5626 section 3.5.1) are skipped.
 *
 * Incremental and linear: octets are appended to one growing buffer (capacity doubles, so
 * appends are amortized O(1)), the search for CRLFCRLF resumes where the previous chunk's
 * search stopped, and Content-Length is read once per message by a byte scan with no
 * regular expression. A peer sending one octet at a time costs O(message size) in total.
 *
 * Bounds protect the process: a header section over 16 KB ({@link MAX_HEADER_BYTES}), a
 * Content-Length that is not digits only or disagrees with another Content-Length, or a
 * message beyond the size limit is a fatal framing error (the transport answers 400 where
 * it can and closes the connection).
 */
import { MAX_HEADER_BYTES } from './parse.ts';

/** One framing outcome: a whole message, or a fatal error with the header octets read. */
export type Frame = { message: Buffer } | { error: string; head?: Buffer };

export interface FramerLimits {
  /** Largest message (headers + body), bytes. Default 65535. */
  maxMessageBytes: number;
  /** Largest header section, bytes. Default {@link MAX_HEADER_BYTES} (16384). */
  maxHeaderBytes?: number;
}

const CR = 0x0d;
const LF = 0x0a;

/** Accumulates stream octets and cuts them into SIP messages. */
export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** Unframed octets are buf[start, end). */
  private start = 0;
  private end = 0;
  /** Where the CRLFCRLF search resumes (absolute index into buf). */
  private searchFrom = 0;
  /** Header section length and Content-Length of the message being read, once its headers are complete. */
  private headLength = -1;
  private bodyLength = 0;
  private failed = false;
  private readonly maxHeaderBytes: number;

  constructor(private readonly limits: FramerLimits = { maxMessageBytes: 65535 }) {
    this.maxHeaderBytes = Math.min(limits.maxHeaderBytes ?? MAX_HEADER_BYTES, limits.maxMessageBytes);
  }

  /** Bytes buffered and not yet framed. */
  get pending(): number {
    return this.end - this.start;
  }

  /** True while a message has begun (octets beyond keepalives are buffered) and is not complete. */
  get inMessage(): boolean {
    return this.end > this.start;
  }

  /** Adds octets; returns the frames they complete. After an error frame, nothing more is returned. */
  push(chunk: Buffer): Frame[] {
    if (this.failed) return [];
    this.append(chunk);
    const out: Frame[] = [];
    for (;;) {
      if (this.headLength < 0) {
        // Keepalives and stray empty lines before a start line (RFC 3261 section 7.5).
        while (this.start < this.end && (this.buf[this.start] === CR || this.buf[this.start] === LF)) this.start++;
        if (this.searchFrom < this.start) this.searchFrom = this.start;
        if (this.start === this.end) break;
        const at = this.buf.subarray(0, this.end).indexOf('\r\n\r\n', this.searchFrom, 'latin1');
        if (at < 0) {
          if (this.end - this.start > this.maxHeaderBytes) return this.fail(out, `header section exceeds ${this.maxHeaderBytes} bytes`);
          this.searchFrom = Math.max(this.start, this.end - 3);
          break;
        }
        const headLength = at + 4 - this.start;
        if (headLength > this.maxHeaderBytes) return this.fail(out, `header section exceeds ${this.maxHeaderBytes} bytes`);
        const length = contentLength(this.buf, this.start, at + 4);
        if (typeof length === 'string') return this.fail(out, length, this.buf.subarray(this.start, at + 4));
        if (headLength + length > this.limits.maxMessageBytes) return this.fail(out, 'Content-Length exceeds the message size limit', this.buf.subarray(this.start, at + 4));
        this.headLength = headLength;
        this.bodyLength = length;
      }
      const total = this.headLength + this.bodyLength;
      if (this.end - this.start < total) break;
      out.push({ message: Buffer.from(this.buf.subarray(this.start, this.start + total)) });
      this.start += total;
      this.searchFrom = this.start;
      this.headLength = -1;
    }
    if (this.start === this.end) {
      this.start = this.end = this.searchFrom = 0;
    }
    return out;
  }

  /** Appends `chunk`, compacting or doubling the buffer when it is full. */
  private append(chunk: Buffer): void {
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      const need = live + chunk.length;
      const next = need <= this.buf.length / 2 ? this.buf : Buffer.allocUnsafe(Math.max(need * 2, 4096));
      this.buf.copy(next, 0, this.start, this.end);
      this.buf = next;
      this.searchFrom -= this.start;
      this.start = 0;
      this.end = live;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  private fail(out: Frame[], error: string, head?: Buffer): Frame[] {
    this.failed = true;
    out.push({ error, head: head ? Buffer.from(head) : undefined });
    this.buf = Buffer.alloc(0);
    this.start = this.end = this.searchFrom = 0;
    return out;
  }
}

const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
const NAME = Buffer.from('content-length');

/**
 * The Content-Length of the header section buf[from, to) (ends with CRLFCRLF): 0 when
 * absent, or an error text when a value is not 1-10 digits (RFC 3261 section 20.14:
 * 1*DIGIT; surrounding SP/HT allowed) or two values differ (RFC 4475 3.3.9). One pass, no
 * regular expression. The full check is the parser's; this only has to find the body.
 */
export function contentLength(buf: Buffer, from: number, to: number): number | string {
  let value: number | undefined;
  let line = from;
  while (line < to) {
    // A short byte loop first: a native indexOf call per line dominates on thousands of
    // short (folded) lines, while a long line is searched faster natively.
    let eol = line;
    const near = Math.min(to, line + 64);
    while (eol < near && buf[eol] !== LF) eol++;
    if (eol === near && eol < to) {
      eol = buf.indexOf(LF, eol);
      if (eol < 0 || eol > to) eol = to;
    }
    // Compact form "l" or "Content-Length", then SP/HT, then ":".
    let i = line;
    let n = 0;
    if (lower(buf[i]!) === 0x6c && (buf[i + 1] === 0x3a || buf[i + 1] === 0x20 || buf[i + 1] === 0x09)) i += 1;
    else {
      while (n < NAME.length && i < eol && lower(buf[i]!) === NAME[n]) {
        i++;
        n++;
      }
      if (n < NAME.length) i = -1;
    }
    if (i >= 0) {
      while (i < eol && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
      if (buf[i] === 0x3a) {
        i++;
        let stop = eol;
        if (stop > i && buf[stop - 1] === CR) stop--;
        while (i < stop && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
        while (stop > i && (buf[stop - 1] === 0x20 || buf[stop - 1] === 0x09)) stop--;
        if (stop === i || stop - i > 10) return 'bad Content-Length';
        let v = 0;
        for (let k = i; k < stop; k++) {
          const d = buf[k]! - 0x30;
          if (d < 0 || d > 9) return 'bad Content-Length';
          v = v * 10 + d;
        }
        if (value !== undefined && value !== v) return 'bad Content-Length';
        value = v;
      }
    }
    line = eol + 1;
  }
  return value ?? 0;
}
