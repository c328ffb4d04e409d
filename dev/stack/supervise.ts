/**
 * Child-process supervision for the local stack: spawn with a name, prefix its output lines,
 * wait until it is ready, and stop it (SIGTERM, a grace period, then SIGKILL to its whole
 * process group so that grandchildren such as esbuild's service never outlive the stack).
 *
 * Parent-death watch: every child gets one end of a pipe as fd 3 that the supervisor never
 * writes to. When the supervisor's process ends, however it ends (exit, SIGHUP, SIGKILL), the
 * kernel closes the other end; the child reads end-of-file and stops itself. Node children
 * preload parent-watch.mjs for this; other programs (Kamailio, SIPp) run under the
 * parent-watch.sh shim. So no child outlives `npm start`, even when nobody could clean up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../repo-root.ts';

/** The fd on which each child finds its end of the parent-watch pipe. */
export const PARENT_WATCH_FD = 3;
const PARENT_WATCH_MODULE = join(REPO_ROOT, 'dev/stack/parent-watch.mjs');
const PARENT_WATCH_SHIM = join(REPO_ROOT, 'dev/stack/parent-watch.sh');

export interface ChildSpec {
  /** Short component name used as the output prefix, e.g. "media-core". */
  name: string;
  command: string;
  args: string[];
  /** The child's complete environment. */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** true: print every output line as "name | line"; false: keep only the last lines for error reports. */
  echo: boolean;
  /** Receives every output line (stdout and stderr), e.g. for a test that reads a component's log. */
  onLine?: (line: string) => void;
  /**
   * How the child learns that the supervisor is gone (see the file comment): 'node' preloads
   * parent-watch.mjs (the command must be a Node binary; args start with its flags), 'shim'
   * runs the command under parent-watch.sh, 'none' gives no watch. Default: 'node' when the
   * command is this process's Node binary, else 'shim'.
   */
  parentWatch?: 'node' | 'shim' | 'none';
}

export interface Supervised {
  name: string;
  pid: number;
  /** Settles when the process exits (code or signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** The last output lines (at most 60), for an error message. */
  recentOutput(): string[];
  /** true once an output line (among the first 2000) matched `pattern`: a component's ready line. */
  printed(pattern: RegExp): boolean;
  /** Stops echoing output (shutdown noise such as esbuild's exit message). */
  mute(): void;
  /** SIGTERM (to the process only), wait up to graceMs, then SIGKILL to the process group. */
  stop(graceMs: number): Promise<void>;
}

const KEEP_LINES = 60;

/** Starts a child in its own process group (so a terminal Ctrl-C reaches only the supervisor). */
export function spawnSupervised(spec: ChildSpec): Supervised {
  const watch = spec.parentWatch ?? (spec.command === process.execPath ? 'node' : 'shim');
  const [command, args] =
    watch === 'node' ? [spec.command, ['--import', pathToFileURL(PARENT_WATCH_MODULE).href, ...spec.args]]
    : watch === 'shim' ? ['sh', [PARENT_WATCH_SHIM, spec.command, ...spec.args]]
    : [spec.command, spec.args];
  const env = watch === 'none' ? spec.env : { ...spec.env, PARENT_WATCH_FD: String(PARENT_WATCH_FD) };
  const child: ChildProcess = spawn(command, args, { env, cwd: spec.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe', watch === 'none' ? 'ignore' : 'pipe'] });
  // Our end of the watch pipe: held open for the child's life, never written, never keeping us alive.
  const watchPipe = child.stdio[PARENT_WATCH_FD] as Socket | null | undefined;
  watchPipe?.on('error', () => {});
  watchPipe?.unref();
  const recent: string[] = [];
  const early: string[] = [];
  let echo = spec.echo;
  let alive = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      alive = false;
      recent.push(`spawn failed: ${err.message}`);
      resolve({ code: 127, signal: null });
    });
  });
  const onData = (stream: NodeJS.WritableStream) => {
    let partial = '';
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        recent.push(line);
        if (recent.length > KEEP_LINES) recent.shift();
        if (early.length < 2000) early.push(line);
        spec.onLine?.(line);
        if (echo && line.trim()) stream.write(`${spec.name.padEnd(12)}| ${line}\n`);
      }
    };
  };
  child.stdout?.on('data', onData(process.stdout));
  child.stderr?.on('data', onData(process.stderr));

  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is already gone
    }
  };

  return {
    name: spec.name,
    pid: child.pid ?? -1,
    exited,
    running: () => alive,
    recentOutput: () => [...recent],
    printed: (pattern: RegExp) => early.some((l) => pattern.test(l)),
    mute: () => {
      echo = false;
    },
    async stop(graceMs: number) {
      if (alive) {
        child.kill('SIGTERM');
        const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
        if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') signalGroup('SIGKILL');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
      }
      // Whatever the child left behind in its group (esbuild service, workers).
      signalGroup('SIGKILL');
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Thrown when a component does not become ready in time or exits while starting. */
export class StartupError extends Error {
  constructor(readonly component: string, detail: string, readonly output: string[] = []) {
    super(`${component} did not start: ${detail}${output.length ? `\n--- last output of ${component} ---\n${output.slice(-20).join('\n')}` : ''}`);
    this.name = 'StartupError';
  }
}

/**
 * Polls `probe` every 200 ms until it resolves true, `timeoutMs` passes, or `child` exits.
 * @throws StartupError naming the component, with its last output lines.
 */
export async function waitUntilReady(child: Supervised, probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.running()) {
      const { code, signal } = await child.exited;
      throw new StartupError(child.name, `exited (${signal ?? `code ${code}`}) before ${what}`, child.recentOutput());
    }
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw new StartupError(child.name, `${what} not reached within ${Math.round(timeoutMs / 1000)} s`, child.recentOutput());
}

/** true when an HTTP GET of `url` answers (any status below 500), within 1 s. */
export async function httpAnswers(url: string): Promise<boolean> {
  const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await r.arrayBuffer();
  return r.status < 500;
}

/** true when a TCP connection to host:port opens within 500 ms. */
export function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
