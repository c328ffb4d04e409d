/** Small HTTP helpers shared by the vendor sandboxes. */
import type { ServerResponse } from 'node:http';
import type { FaultRule } from './types.ts';

/** Writes a JSON response with extra headers. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Waits the fault's delay (bounded to 30 s). */
export async function faultDelay(fault: FaultRule | undefined): Promise<void> {
  const ms = Math.min(30_000, Math.max(0, fault?.delayMs ?? 0));
  if (ms) await new Promise((r) => setTimeout(r, ms));
}

/**
 * Fails the answer of an applied request as `fault.afterApply` says: destroys the socket
 * (`reset`) or waits `delayMs` (bounded to 30 s) before the caller answers (`hang`).
 * @returns true when the connection was reset (nothing more may be written).
 */
export async function afterApplyFault(res: ServerResponse, fault: FaultRule | undefined): Promise<boolean> {
  if (fault?.afterApply === 'reset') {
    res.socket?.destroy();
    return true;
  }
  if (fault?.afterApply === 'hang') await new Promise((r) => setTimeout(r, Math.min(30_000, Math.max(0, fault.delayMs ?? 0))));
  return false;
}

/** Parses a JSON body; undefined when empty or malformed. */
export function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
