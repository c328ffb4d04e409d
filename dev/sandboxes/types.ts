/**
 * Contact-center sandboxes: small HTTP servers on 127.0.0.1 that implement the documented
 * request and response of each vendor API strictly, record what they received, and can be
 * told to fail. One server (dev/sandboxes/server.ts, default port 4010) mounts every vendor.
 *
 * - GET  /_sandbox/events        every request received, in order (SandboxEvent[])
 * - POST /_sandbox/faults        queue failures: FaultRule JSON
 * - POST /_sandbox/reset         clears events, faults and vendor state
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type SandboxVendor = 'amazon_connect' | 'nice_cxone' | 'twilio';

/** One recorded request. */
export interface SandboxEvent {
  seq: number;
  /** ISO time received. */
  at: string;
  vendor: SandboxVendor;
  /** The API operation, e.g. "UpdateContactAttributes", "signal", "token", "Messages.create". */
  operation: string;
  /** Decoded parameters (body JSON, form fields, query, path ids). Secrets are never recorded. */
  params: Record<string, unknown>;
  /** HTTP status the sandbox answered. */
  status: number;
}

/** A failure to inject: the next `count` matching requests answer `status` (after `delayMs`). */
export interface FaultRule {
  vendor: SandboxVendor;
  /** Operation name as recorded; omitted = any operation of the vendor. */
  operation?: string;
  /** HTTP status to answer (e.g. 429, 500); 0 = answer normally, only delayed. */
  status: number;
  /** How many requests this rule applies to (default 1). */
  count?: number;
  /** Delay before answering, in ms (default 0). */
  delayMs?: number;
  /** Retry-After header value in seconds, for 429. */
  retryAfterSeconds?: number;
  /**
   * With status 0: apply the request, then fail the answer: `reset` destroys the connection
   * (a connection reset after the vendor applied it), `hang` waits `delayMs` before answering
   * (the client times out). Where the vendor sandbox supports it (Connect, CXone).
   */
  afterApply?: 'reset' | 'hang';
}

/** Shared services a vendor sandbox gets from the server. */
export interface SandboxContext {
  record(event: Omit<SandboxEvent, 'seq' | 'at'>): void;
  /** Returns and consumes the fault for this request, if any. */
  takeFault(vendor: SandboxVendor, operation: string): FaultRule | undefined;
  /** Base URL of the sandbox server, e.g. http://127.0.0.1:4010 (for discovery documents). */
  baseUrl: string;
}

/** One vendor's API. */
export interface VendorSandbox {
  vendor: SandboxVendor;
  /** Handles the request and returns true, or returns false when the path is not this vendor's. */
  handle(req: IncomingMessage, res: ServerResponse, body: Buffer, ctx: SandboxContext): Promise<boolean>;
  /** Clears vendor state (tokens, contacts). */
  reset(): void;
}
