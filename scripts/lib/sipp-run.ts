/**
 * Runs one SIPp call (a single UAC call, -m 1) bounded in time: SIPp's own -timeout plus a
 * SIGKILL a few seconds later if it still runs. Messages are traced to a file (-trace_msg)
 * for the ladder.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';

export interface SippRunOptions {
  scenarioFile: string;
  workDir: string;
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
  /** Values for [name] in the scenario (-key). */
  keys: Record<string, string>;
  /** Bound of the run, ms. */
  timeoutMs: number;
  /** Local IP for Via/Contact/SDP (default 127.0.0.1 for a local target, else SIPp's choice). */
  localIp?: string;
}

export interface SippRunResult {
  /** SIPp exit code (0 = the call succeeded, 1 = it failed), or null when killed. */
  code: number | null;
  killed: boolean;
  messageFile: string;
  errorFile: string;
  stderr: string;
}

const bindUdp = (port: number, host: string) =>
  new Promise<import('node:dgram').Socket | undefined>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(undefined));
    s.bind(port, host, () => resolve(s));
  });

/**
 * An even UDP port p on `host` with p..p+3 free: SIPp's -mp binds audio RTP/RTCP at p, p+1
 * and video at p+2, p+3, and fails the call ("Unable to bind video RTP socket") if any is taken.
 */
export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const probe = await bindUdp(0, host);
    if (!probe) continue;
    const base = probe.address().port & ~1;
    await new Promise<void>((r) => probe.close(() => r()));
    if (base + 3 > 65535) continue;
    const held = await Promise.all([0, 1, 2, 3].map((k) => bindUdp(base + k, host)));
    await Promise.all(held.map((s) => s && new Promise<void>((r) => s.close(() => r()))));
    if (held.every(Boolean)) return base;
  }
  throw new Error('no free range of 4 UDP ports in 50 tries');
}

/** The sipp argument list (exported for tests). */
export function sippArgs(o: SippRunOptions, localPort: number, mediaPort: number): string[] {
  const args = [
    `${o.host}:${o.port}`,
    '-sf', o.scenarioFile,
    '-m', '1',
    '-t', o.transport === 'tcp' ? 't1' : 'u1',
    '-p', String(localPort),
    '-mp', String(mediaPort),
    '-timeout', `${Math.ceil(o.timeoutMs / 1000)}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_msg', '-message_file', join(o.workDir, 'messages.log'),
    '-trace_err', '-error_file', join(o.workDir, 'errors.log'),
  ];
  const localIp = o.localIp ?? (o.host === '127.0.0.1' || o.host === 'localhost' ? '127.0.0.1' : undefined);
  if (localIp) args.push('-i', localIp, '-mi', localIp);
  for (const [k, v] of Object.entries(o.keys)) args.push('-key', k, v);
  return args;
}

/** Runs SIPp and resolves when it exits (or was killed at timeoutMs + 5 s). */
export async function runSipp(o: SippRunOptions): Promise<SippRunResult> {
  const localPort = await freeUdpPort();
  const mediaPort = await freeUdpPort();
  const child = spawn('sipp', sippArgs(o, localPort, mediaPort), { cwd: o.workDir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    if (stderr.length < 20_000) stderr += c.toString('utf8');
  });
  let killed = false;
  const killer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, o.timeoutMs + 5000);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (c) => resolve(c));
    child.once('error', (err) => {
      stderr += err.message;
      resolve(127);
    });
  });
  clearTimeout(killer);
  return { code, killed, messageFile: join(o.workDir, 'messages.log'), errorFile: join(o.workDir, 'errors.log'), stderr };
}
