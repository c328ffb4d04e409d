/**
 * What `npm run call` needs to know about a running `npm start` that it cannot derive from the
 * ports: the per-run fake Twilio credentials (to sign the webhooks it sends as Twilio would)
 * and the public base URL of the functions. `npm start` writes one small file per SIP port in
 * the temp directory (mode 0600, removed at stop); `npm run call --port N` reads the file of
 * port N. The values are generated per run and fake (stack-env.ts generateSecrets).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContactTokenEmulation } from '../caller/contact-token-emulation.ts';
import type { TwilioEmulation } from '../caller/twilio-emulation.ts';

export interface StackInfo {
  /** Process id of `npm start`; a file whose process is gone is ignored. */
  pid: number;
  sipPort: number;
  sandboxUrl: string;
  twilio: TwilioEmulation;
  /** The per-run fake secret of the screen pop's signed view links, so `npm run call` prints a link that opens. */
  screenPopSecret?: string;
  /** Where the Connect flow function and the CXone mint endpoint are, and the mint API key. */
  contactTokens?: ContactTokenEmulation;
}

/** Path of the info file of the stack whose media core listens on `sipPort`. */
export function stackInfoPath(sipPort: number, dir = tmpdir()): string {
  return join(dir, `open-phone-integration-stack-${sipPort}.json`);
}

/** Writes the file (owner read/write only). */
export function writeStackInfo(info: StackInfo, dir = tmpdir()): string {
  const file = stackInfoPath(info.sipPort, dir);
  writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
  return file;
}

/** Removes the file if it is this process's. */
export function removeStackInfo(sipPort: number, dir = tmpdir()): void {
  const info = readStackInfo(sipPort, dir, { anyPid: true });
  if (info?.pid === process.pid) rmSync(stackInfoPath(sipPort, dir), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The info of the stack on `sipPort`, or undefined (no file, unreadable, or its process is gone). */
export function readStackInfo(sipPort: number, dir = tmpdir(), opts: { anyPid?: boolean } = {}): StackInfo | undefined {
  const file = stackInfoPath(sipPort, dir);
  if (!existsSync(file)) return undefined;
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as StackInfo;
    if (typeof info.pid !== 'number' || !info.twilio?.authToken || !info.twilio.publicBaseUrl) return undefined;
    if (!opts.anyPid && !alive(info.pid)) return undefined;
    return info;
  } catch {
    return undefined;
  }
}
