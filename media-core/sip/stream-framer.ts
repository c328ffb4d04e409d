/**
 * Message framing on stream transports (TCP, TLS; RFC 3261 section 18.3): the header
 * section ends at CRLFCRLF and the body is exactly Content-Length octets. CRLF keepalives
 * between messages (RFC 5626 section 3.5.1) are skipped. Bounds protect the process:
 * a header section that never ends, or a Content-Length beyond the message size limit,
 * is a fatal framing error (the connection is answered 400 where possible and closed).
 */
import { headerEnd } from './parse.ts';

/** One framing outcome: a whole message, or a fatal error with the header octets read. */
export type Frame = { message: Buffer } | { error: string; head?: Buffer };

export interface FramerLimits {
  /** Largest message (headers + body), bytes. Default 131072 (128 KB). */
  maxMessageBytes: number;
}

const CL_RE = /^(?:content-length|l)[ \t]*:[ \t]*(.*?)[ \t]*$/gim;

/** Accumulates stream octets and cuts them into SIP messages. */
export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private failed = false;

  constructor(private readonly limits: FramerLimits = { maxMessageBytes: 131072 }) {}

  /** Bytes buffered and not yet framed. */
  get pending(): number {
    return this.buf.length;
  }

  /** Adds octets; returns the frames they complete. After an error frame, nothing more is returned. */
  push(chunk: Buffer): Frame[] {
    if (this.failed) return [];
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    for (;;) {
      let start = 0;
      while (start < this.buf.length && (this.buf[start] === 0x0d || this.buf[start] === 0x0a)) start++;
      if (start) this.buf = this.buf.subarray(start);
      if (!this.buf.length) break;
      const end = headerEnd(this.buf);
      if (end < 0) {
        if (this.buf.length > this.limits.maxMessageBytes) return this.fail(out, 'header section exceeds the message size limit');
        break;
      }
      const head = this.buf.subarray(0, end);
      const text = head.toString('latin1');
      const values = [...text.matchAll(CL_RE)].map((m) => m[1]!);
      let length = 0;
      if (values.length) {
        if (!values.every((v) => v === values[0]) || !/^\d{1,10}$/.test(values[0]!)) return this.fail(out, 'bad Content-Length', head);
        length = Number(values[0]);
      }
      if (end + length > this.limits.maxMessageBytes) return this.fail(out, 'Content-Length exceeds the message size limit', head);
      if (this.buf.length < end + length) break;
      out.push({ message: Buffer.from(this.buf.subarray(0, end + length)) });
      this.buf = this.buf.subarray(end + length);
    }
    return out;
  }

  private fail(out: Frame[], error: string, head?: Buffer): Frame[] {
    this.failed = true;
    this.buf = Buffer.alloc(0);
    out.push({ error, head: head ? Buffer.from(head) : undefined });
    return out;
  }
}
