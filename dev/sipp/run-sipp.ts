/**
 * Runs SIPp (sip-tester 3.6) as a bounded child process for tests and benchmarks: always
 * on 127.0.0.1, with -m (call count) and -timeout, error/message traces in a temp dir, and a
 * hard kill after `killAfterMs`. Exit code 0 means every call succeeded (SIPp manual,
 * "Exit codes"): 1 = at least one call failed, 97/99 = aborted/no call processed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder holding the scenario XML files. */
export const SCENARIO_DIR = dirname(fileURLToPath(import.meta.url));

export interface SippOptions {
  /** Scenario file name in test/sipp/ or an absolute path. */
  scenario: string;
  /** Port of the engine on 127.0.0.1. */
  targetPort: number;
  /** SIPp's own SIP port (-p). */
  localPort: number;
  /** SIPp's media port (-mp); SIPp also uses the next ports. */
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
export function runSipp(o: SippOptions): Promise<SippResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const timeoutS = o.timeoutS ?? 30;
  const scenario = withKeysInAttributes(o.scenario.startsWith('/') ? o.scenario : join(SCENARIO_DIR, o.scenario), o.keys ?? {}, dir);
  const args = [
    `127.0.0.1:${o.targetPort}`,
    '-sf', scenario,
    '-i', '127.0.0.1',
    '-p', String(o.localPort),
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
  if (o.mediaPort) args.push('-mi', '127.0.0.1', '-mp', String(o.mediaPort));
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
    child.on('close', (code) => {
      clearTimeout(killer);
      const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '');
      resolve({ code, killed, stdout, stderr, errors: read('errors.log'), messages: read('messages.log'), dir });
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
