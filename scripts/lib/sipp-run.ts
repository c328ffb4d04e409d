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

/** An even UDP port free on `host` (RTP convention; RTCP would take the next one). */
export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(0, host, () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    if (port % 2 === 0 && port < 65534) return port;
  }
  throw new Error('no free even UDP port in 20 tries');
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
