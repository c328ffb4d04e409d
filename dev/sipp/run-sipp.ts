/**
 * Runs SIPp (sip-tester 3.6) as a bounded child process, for tests, benchmarks and `npm run
 * call`: with -m (call count) and -timeout, error/message traces in a trace dir, and a hard
 * kill after `killAfterMs`. Exit code 0 means every call succeeded (SIPp manual, "Exit
 * codes"): 1 = at least one call failed, 97/99 = aborted/no call processed, 127 = sipp could
 * not be started.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeSipPort, freeSippMediaPort } from '../free-ports.ts';

/** Folder holding every SIPp scenario (dev/sipp/scenarios/). */
export const SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');

export interface SippOptions {
  /** Scenario file name in dev/sipp/scenarios/ or an absolute path. */
  scenario: string;
  /** Host of the SIP target. Default 127.0.0.1. */
  targetHost?: string;
  /** SIP port of the target. */
  targetPort: number;
  /** SIPp's own SIP port (-p). Default: a free port. */
  localPort?: number;
  /** Local IP for Via/Contact/SDP (-i, -mi). Default 127.0.0.1 for a local target, else SIPp's choice. */
  localIp?: string;
  /** SIPp's media port (-mp); SIPp also uses the next 3 ports. Default: a free range. */
  mediaPort?: number;
  /** -t: u1 (UDP), t1 (TCP, one socket), l1 (TLS, one socket). Default u1. */
  transport?: 'u1' | 't1' | 'l1';
  /** Total calls (-m). Default 1. */
  calls?: number;
  /** Calls per second (-r). Default 10. */
  rate?: number;
  /** Concurrent call limit (-l). */
  limit?: number;
  /** Default pause for <pause/> (-d), ms. */
  pauseMs?: number;
  /** Request-URI user ([service], -s). */
  service?: string;
  /** Values for [key] keywords (-key). */
  keys?: Record<string, string>;
  /** SIPp's global timeout (-timeout), s. Default 30. */
  timeoutS?: number;
  /** Kill SIPp after this many ms whatever happens. Default timeoutS*1000 + 5000. */
  killAfterMs?: number;
  /** -rtp_echo: echo RTP received on the media port. */
  rtpEcho?: boolean;
  /** Trace directory (errors.log, messages.log). Default: a new temp dir. */
  dir?: string;
  /** Working directory (TLS needs cacert.pem/cakey.pem there). Default: the trace dir. */
  cwd?: string;
  /** Extra raw arguments. */
  extraArgs?: string[];
  /** Called with SIPp's pid once started (CPU accounting in the bench). */
  onSpawn?: (pid: number) => void;
}

export interface SippResult {
  /** Exit code (null when killed). */
  code: number | null;
  killed: boolean;
  stdout: string;
  stderr: string;
  /** Contents of -error_file (failed calls' reasons). */
  errors: string;
  /** Contents of -message_file (every SIP message SIPp sent and received). */
  messages: string;
  /** Trace directory. */
  dir: string;
}

/** Starts SIPp and resolves when it exits or is killed. Never rejects for a SIPp failure; check `code`. */
export async function runSipp(o: SippOptions): Promise<SippResult> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'sipp-'));
  const timeoutS = o.timeoutS ?? 30;
  const host = o.targetHost ?? '127.0.0.1';
  const localIp = o.localIp ?? (host === '127.0.0.1' || host === 'localhost' ? '127.0.0.1' : undefined);
  const scenario = withKeysInAttributes(o.scenario.startsWith('/') ? o.scenario : join(SCENARIO_DIR, o.scenario), o.keys ?? {}, dir);
  const args = [
    `${host}:${o.targetPort}`,
    '-sf', scenario,
    '-p', String(o.localPort ?? (await freeSipPort())),
    '-t', o.transport ?? 'u1',
    '-m', String(o.calls ?? 1),
    '-r', String(o.rate ?? 10),
    '-timeout', `${timeoutS}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_err', '-error_file', join(dir, 'errors.log'),
    '-trace_msg', '-message_file', join(dir, 'messages.log'),
    '-s', o.service ?? '15550100001',
  ];
  if (localIp) args.push('-i', localIp, '-mi', localIp);
  args.push('-mp', String(o.mediaPort ?? (await freeSippMediaPort())));
  if (o.limit) args.push('-l', String(o.limit));
  if (o.pauseMs !== undefined) args.push('-d', String(o.pauseMs));
  if (o.rtpEcho) args.push('-rtp_echo');
  for (const [k, v] of Object.entries(o.keys ?? {})) args.push('-key', k, v);
  args.push(...(o.extraArgs ?? []));
  return new Promise((resolve) => {
    const child = spawn('sipp', args, { cwd: o.cwd ?? dir, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid) o.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-20000)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20000)));
    let killed = false;
    const killer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, o.killAfterMs ?? timeoutS * 1000 + 5000);
    let done = false;
    const finish = (code: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(killer);
      const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '');
      resolve({ code, killed, stdout, stderr, errors: read('errors.log'), messages: read('messages.log'), dir });
    };
    child.on('close', finish);
    // A missing sipp binary emits 'error' and may never emit 'close'.
    child.once('error', (err) => {
      stderr += err.message;
      finish(127);
    });
  });
}

const xmlAttr = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/**
 * SIPp substitutes -key values in message text but not inside XML attributes: an
 * `<ereg regexp="[bye_regexp]">` would be read literally (a character class that matches
 * almost anything). So `[name]` inside attribute values is replaced here, in a copy of the
 * scenario in the trace dir; message text keeps SIPp's own substitution.
 * @returns the path of the scenario to run (the original when nothing needed replacing).
 */
export function withKeysInAttributes(scenarioPath: string, keys: Record<string, string>, dir: string): string {
  const xml = readFileSync(scenarioPath, 'utf8');
  let changed = false;
  const out = xml.replace(/(\w+)="([^"]*)"/g, (whole, attr: string, value: string) => {
    const replaced = value.replace(/\[(\w+)\]/g, (m, name: string) => (name in keys ? xmlAttr(keys[name]!) : m));
    if (replaced === value) return whole;
    changed = true;
    return `${attr}="${replaced}"`;
  });
  if (!changed) return scenarioPath;
  const copy = join(dir, `scenario-${scenarioPath.split('/').pop()}`);
  writeFileSync(copy, out);
  return copy;
}
