/**
 * `npm start` lifecycle (issue 13 item 6): however the launcher goes, every child goes with
 * it. Each test starts the real `npm start` on free ports in its own process group, records
 * every process it started, ends it one way (the group's SIGTERM as `timeout` and CI runners
 * send it, the terminal's SIGHUP, a SIGKILL of the launcher alone), and then expects no
 * recorded process alive and no port of the stack bound within 30 s.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { REPO_ROOT } from '../../dev/repo-root.ts';
import { freeSipPort, freeTcpPort } from '../../dev/free-ports.ts';

const GONE_WITHIN_MS = 30_000;
const START_TIMEOUT_MS = 180_000;

interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  cmd: string;
}

/** Every process of this machine as /proc shows it (state 'Z' is a zombie: exited, not reaped). */
function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(name), state: rest[0]!, ppid: Number(rest[1]), pgid: Number(rest[2]), cmd });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The process `root` and all its descendants, alive now. */
function descendants(root: number): ProcInfo[] {
  const all = processes();
  const found = all.filter((p) => p.pid === root);
  for (let i = 0; i < found.length; i++) for (const p of all) if (p.ppid === found[i]!.pid && !found.includes(p)) found.push(p);
  return found;
}

function alive(pids: number[]): ProcInfo[] {
  const set = new Set(pids);
  return processes().filter((p) => set.has(p.pid) && p.state !== 'Z');
}

function tcpBound(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(true));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

function udpBound(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(true));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

interface Launched {
  npm: ChildProcess;
  ports: Record<string, number>;
  /** Every process of the stack when it was ready (npm, sh, the launcher, the children, their children). */
  tree: ProcInfo[];
  launcherPid: number;
  output: string[];
}

const started: Launched[] = [];

async function launch(script: 'start' | 'fleet' = 'start'): Promise<Launched> {
  const tcp = new Set<number>();
  while (tcp.size < 4) tcp.add(await freeTcpPort());
  const [dynamodb, http, lambda, sandbox] = [...tcp];
  let sip = await freeSipPort();
  while (tcp.has(sip)) sip = await freeSipPort();
  const rtpMin = 2 * randomInt(10_000, 14_900);
  const ports: Record<string, number> = { DYNAMODB_PORT: dynamodb!, HTTP_PORT: http!, LAMBDA_PORT: lambda!, SANDBOX_PORT: sandbox!, SIP_PORT: sip, RTP_PORT_MIN: rtpMin, RTP_PORT_MAX: rtpMin + 19 };
  const extraEnv: Record<string, string> = {};
  if (script === 'fleet') {
    const cores = [await freeSipPort(), await freeSipPort()];
    ports.CORE_1 = cores[0]!;
    ports.CORE_2 = cores[1]!;
    extraEnv.FLEET_MEDIA_CORE_PORTS = cores.join(',');
  }
  // detached: npm leads a new process group, as a shell job or a CI step does.
  const npm = spawn('npm', script === 'start' ? ['start'] : ['run', 'fleet'], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...Object.fromEntries(Object.entries(ports).filter(([k]) => !k.startsWith('CORE_')).map(([k, v]) => [k, String(v)])), ...extraEnv, LOG_LEVEL: 'warn' },
  });
  const output: string[] = [];
  const launched: Launched = { npm, ports, tree: [], launcherPid: -1, output };
  started.push(launched);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start not ready within ${START_TIMEOUT_MS / 1000} s:\n${output.slice(-30).join('\n')}`)), START_TIMEOUT_MS);
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (output.length < 5000) output.push(line);
        if (/^ready: /.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      }
    };
    npm.stdout!.on('data', onLine);
    npm.stderr!.on('data', onLine);
    npm.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${signal ?? code}) before ready:\n${output.slice(-30).join('\n')}`));
    });
  });
  launched.tree = descendants(npm.pid!);
  const launcher = launched.tree.find((p) => new RegExp(`dev/stack/${script === 'start' ? 'main' : 'fleet-main'}\\.ts`).test(p.cmd) && !/^sh /.test(p.cmd));
  assert.ok(launcher, `the launcher among ${launched.tree.map((p) => p.cmd).join('\n')}`);
  launched.launcherPid = launcher.pid;
  for (const component of ['dev/sandboxes/main.ts', 'serverless.js', 'media-core/main.ts', ...(script === 'fleet' ? ['kamailio'] : [])]) {
    assert.ok(launched.tree.some((p) => p.cmd.includes(component)), `${component} runs: ${launched.tree.map((p) => p.cmd).join('\n')}`);
  }
  return launched;
}

/** Waits until no recorded process is alive and no port is bound, or the time is up; returns what remains. */
async function leftovers(l: Launched, withinMs: number): Promise<string[]> {
  const until = Date.now() + withinMs;
  for (;;) {
    const remaining: string[] = alive(l.tree.map((p) => p.pid)).map((p) => `process ${p.pid}: ${p.cmd.slice(0, 160)}`);
    for (const [name, port] of Object.entries(l.ports)) {
      if (name === 'RTP_PORT_MAX') continue;
      if (name === 'RTP_PORT_MIN') continue;
      if (await tcpBound(port)) remaining.push(`${name} ${port}/tcp bound`);
    }
    for (const name of ['SIP_PORT', 'CORE_1', 'CORE_2']) if (l.ports[name] && (await udpBound(l.ports[name]!))) remaining.push(`${name} ${l.ports[name]}/udp bound`);
    if (!remaining.length || Date.now() >= until) return remaining;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Whatever a failed test left: SIGKILL to every recorded process group and process. */
function killAll(l: Launched): void {
  for (const p of alive(l.tree.map((p) => p.pid))) {
    for (const target of [-p.pgid, p.pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

after(() => started.forEach(killAll));

describe('npm start: no child outlives the launcher', { concurrency: false, timeout: 300_000 }, () => {
  test('SIGTERM to the whole process group (timeout, CI runners), repeated as npm forwards it', async () => {
    const l = await launch();
    process.kill(-l.npm.pid!, 'SIGTERM');
    // npm passes the signal on to its script, and supervisors repeat it: a second SIGTERM
    // while the launcher stops must not kill it half-way and orphan the rest.
    await new Promise((r) => setTimeout(r, 300));
    if (alive([l.launcherPid]).length) process.kill(l.launcherPid, 'SIGTERM');
    const remaining = await leftovers(l, GONE_WITHIN_MS);
    assert.deepEqual(remaining, [], l.output.slice(-20).join('\n'));
  });

  test('SIGHUP to the whole process group (the terminal closed)', async () => {
    const l = await launch();
    process.kill(-l.npm.pid!, 'SIGHUP');
    const remaining = await leftovers(l, GONE_WITHIN_MS);
    assert.deepEqual(remaining, [], l.output.slice(-20).join('\n'));
  });

  test('SIGKILL of the launcher alone', async () => {
    const l = await launch();
    process.kill(l.launcherPid, 'SIGKILL');
    const remaining = await leftovers(l, GONE_WITHIN_MS);
    assert.deepEqual(remaining, [], l.output.slice(-20).join('\n'));
  });

  test('npm run fleet: SIGKILL of the launcher takes Kamailio (under its shim) and both media cores along', { skip: spawnSync('sh', ['-c', 'command -v kamailio || test -x /usr/sbin/kamailio']).status === 0 ? false : 'kamailio is not installed' }, async () => {
    const l = await launch('fleet');
    process.kill(l.launcherPid, 'SIGKILL');
    const remaining = await leftovers(l, GONE_WITHIN_MS);
    assert.deepEqual(remaining, [], l.output.slice(-20).join('\n'));
  });
});
