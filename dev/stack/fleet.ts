/**
 * The local fleet behind `npm run fleet` (and the fleet tests): the local stack without its
 * media core (stack.ts: dynalite, serverless-offline, sandboxes), N media cores on their own
 * SIP ports and RTP ranges, and Kamailio (infra/kamailio/kamailio.cfg) on SIP_PORT in front of
 * them, all on 127.0.0.1:
 *
 *   caller -> Kamailio 127.0.0.1:SIP_PORT (dispatcher, OPTIONS probes, failover)
 *               -> media core 1 127.0.0.1:mediaCorePorts[0]
 *               -> media core 2 127.0.0.1:mediaCorePorts[1]
 *
 * Kamailio runs unprivileged in the foreground (-DD), logs to stderr (-E), with its runtime
 * directory and pid file (-Y, -P) in a temp dir that also holds the generated dispatcher list,
 * address allowlist and the media cores' configuration (CONFIG_FILE plus sip.trustedProxies:
 * the proxy's address, so the media cores run in trusted-proxy mode behind it). It runs under
 * the parent-watch shim (supervise.ts), so it never outlives the launcher.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { MEDIA_CORE_NODE_FLAGS } from '../../media-core/node-flags.ts';
import { busyPorts, formatBusy } from './port-check.ts';
import { MissingPrerequisitesError, which, type Prerequisite } from './prerequisites.ts';
import { REPO_ROOT } from '../repo-root.ts';
import { PortsBusyError, startStack, STARTUP_TIMEOUT_MS, type RunningStack } from './stack.ts';
import { resolvePorts, type Ports } from './stack-env.ts';
import { spawnSupervised, waitUntilReady, type Supervised } from './supervise.ts';

export const KAMAILIO: Prerequisite = { command: 'kamailio', packages: ['kamailio'], why: 'the SIP load balancer in front of the media cores (npm run fleet)' };
/** Kamailio lives in sbin, which an unprivileged user's PATH often lacks. */
const SBIN_PATH = ['/usr/local/sbin', '/usr/sbin', '/sbin'].join(delimiter);
export const KAMAILIO_CONFIG = join(REPO_ROOT, 'infra/kamailio/kamailio.cfg');
/** Media core SIP ports when FLEET_MEDIA_CORE_PORTS is unset: SIP_PORT + 11, + 12 (5071, 5072). */
export const MEDIA_CORE_PORT_OFFSETS = [11, 12];
/** How long a media core may take to drain its calls after SIGTERM, ms. */
export const FLEET_DRAIN_MS = 20_000;

export interface FleetOptions {
  /** Ports of the stack; `sip` is Kamailio's (default SIP_PORT or 5060). */
  ports?: Partial<Ports>;
  /** SIP ports of the media cores (default FLEET_MEDIA_CORE_PORTS, comma-separated, or SIP_PORT+11, +12). */
  mediaCorePorts?: number[];
  /** Seconds between Kamailio's OPTIONS probes of each core (default 5; tests use 1). */
  probeIntervalS?: number;
  /** ms without any reply to an INVITE before Kamailio tries the next core (default 2000). */
  failoverMs?: number;
  /** The media cores' DRAIN_DEADLINE_MS (default 15000). */
  drainDeadlineMs?: number;
  /**
   * Requests per 2 s one source may send before Kamailio's pike blocks it (default
   * FLEET_PIKE_DENSITY or 2000: locally every caller, SIPp load included, is one address).
   */
  pikeDensity?: number;
  /**
   * METRICS_PORT of each media core (default METRICS_PORT or 9464, plus the core's index:
   * two cores on one host cannot share one).
   */
  metricsPorts?: number[];
  /** Extra environment of media core i (tests: one core's admission thresholds). */
  mediaCoreEnv?: Record<string, string>[];
  /** MAX_CALLS of each media core (default MAX_CALLS or headroom). */
  maxCalls?: string;
  /** Media core config file the fleet's config is derived from (default CONFIG_FILE or media-core/config/demo.json). */
  configFile?: string;
  quiet?: boolean;
  logLevel?: string;
  print?: (line: string) => void;
  /** Every output line of every child, with its name ("kamailio", "media-core-1", ..., "offline", "sandboxes"). */
  onOutput?: (component: string, line: string) => void;
}

export interface FleetMediaCore {
  name: string;
  sipPort: number;
  rtpMin: number;
  rtpMax: number;
  process: Supervised;
}

export interface RunningFleet {
  stack: RunningStack;
  /** Kamailio's SIP port (UDP and TCP) on 127.0.0.1: where calls go. */
  sipPort: number;
  mediaCores: FleetMediaCore[];
  kamailio: Supervised;
  /**
   * Settles with the component's name if Kamailio or a stack component exits on its own. A
   * media core that exits does not end the fleet: Kamailio routes around it.
   */
  unexpectedExit: Promise<string>;
  /** Stops Kamailio, drains the media cores, stops the stack, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Stops media core `name` if it still runs (drain) and starts it again on the same ports. */
  restartMediaCore(name: string): Promise<void>;
}

/** Splits [min, max] into `n` even-aligned ranges of equal size (one even RTP port per call). */
export function splitRtpRange(min: number, max: number, n: number): { min: number; max: number }[] {
  const size = Math.floor((max - min + 1) / n / 2) * 2;
  if (size < 2) throw new RangeError(`RTP range ${min}-${max} is too small for ${n} media cores`);
  return Array.from({ length: n }, (_, i) => ({ min: min + i * size, max: min + (i + 1) * size - 1 }));
}

/** Media core SIP ports from FLEET_MEDIA_CORE_PORTS ("5071,5072"), or SIP_PORT + 11, + 12. @throws Error on a bad list. */
export function mediaCorePortsFrom(env: Record<string, string | undefined>, sipPort: number): number[] {
  const raw = env.FLEET_MEDIA_CORE_PORTS;
  if (!raw) return MEDIA_CORE_PORT_OFFSETS.map((o) => sipPort + o);
  const ports = raw.split(',').map((p) => Number(p.trim()));
  if (ports.length < 1 || ports.length > 16 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw new Error(`FLEET_MEDIA_CORE_PORTS=${raw}: 1 to 16 port numbers separated by commas`);
  }
  return ports;
}

/**
 * Kamailio's dispatcher list (set 1: the media cores; "setid destination" per line, Kamailio
 * dispatcher module, list_file) and permissions address file (group 1: the allowed sources;
 * "group address mask port tag").
 */
export function fleetEdgeFiles(mediaCorePorts: number[], host: string, allowedSources: string[]): { dispatcher: string; addresses: string } {
  const dispatcher = mediaCorePorts.map((p, i) => `1 sip:${host}:${p} 0 0 name=media-core-${i + 1}\n`).join('');
  const addresses = allowedSources
    .map((cidr) => {
      const [ip, mask = '32'] = cidr.split('/');
      return `1 ${ip} ${mask} 0 allowed\n`;
    })
    .join('');
  return { dispatcher, addresses };
}

/**
 * The media cores' config: `configFile` with assistant paths made absolute, sip.trustedProxies
 * set, and, unless the file sets it, each core's share of this machine's cores as its speech
 * decoders (`speechQueues.sttDecoders`, at least 1): N cores on one machine each sizing for the
 * whole machine would admit N times the speech it can decode.
 */
export function fleetMediaCoreConfig(configFile: string, trustedProxies: string[], cores = 1): Record<string, unknown> {
  const path = resolve(REPO_ROOT, configFile);
  const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const baseDir = resolve(path, '..');
  const assistants = (config.assistants ?? {}) as Record<string, { type?: string; file?: string }>;
  for (const a of Object.values(assistants)) if (a.type === 'local' && a.file) a.file = resolve(baseDir, a.file);
  // Trusted-proxy mode: requests from these addresses are the edge's, which has already
  // applied the allowlist and the rate limits (media-core/config/schema.ts, sip.trustedProxies).
  config.sip = { ...((config.sip as object) ?? {}), trustedProxies };
  const queues = (config.speechQueues ?? {}) as { sttDecoders?: number };
  if (!queues.sttDecoders) config.speechQueues = { ...queues, sttDecoders: Math.max(1, Math.floor(availableParallelism() / cores)) };
  return config;
}

/**
 * The status code of the answer to one OPTIONS sent to host:port over UDP, or undefined after
 * 500 ms without one. `from` is the local address to send from (default `host`).
 */
export function sipOptionsStatus(port: number, host = '127.0.0.1', from = host): Promise<number | undefined> {
  return new Promise((resolveAnswer) => {
    const s = createSocket('udp4');
    const done = (status: number | undefined) => {
      clearTimeout(timer);
      s.close();
      resolveAnswer(status);
    };
    const timer = setTimeout(() => done(undefined), 500);
    s.once('error', () => done(undefined));
    s.once('message', (m) => {
      const status = /^SIP\/2\.0 (\d{3}) /.exec(m.toString('latin1'));
      done(status ? Number(status[1]) : undefined);
    });
    s.bind(0, from, () => {
      const local = s.address().port;
      const tag = randomBytes(6).toString('hex');
      const msg = [
        `OPTIONS sip:${host}:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${from}:${local};branch=z9hG4bK${tag};rport`,
        'Max-Forwards: 70',
        `From: <sip:probe@${from}>;tag=${tag}`,
        `To: <sip:${host}:${port}>`,
        `Call-ID: ${tag}@${host}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      s.send(msg, port, host);
    });
  });
}

/** true when an OPTIONS to host:port over UDP gets any SIP response within 500 ms. */
export async function sipAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return (await sipOptionsStatus(port, host)) !== undefined;
}

/**
 * Starts the fleet and resolves once Kamailio and every media core answer.
 * @throws MissingPrerequisitesError (kamailio, espeak-ng, pocketsphinx), PortsBusyError, StartupError.
 */
export async function startFleet(opts: FleetOptions = {}): Promise<RunningFleet> {
  const host = '127.0.0.1';
  const print = opts.quiet ? () => {} : (opts.print ?? ((l: string) => void process.stdout.write(`${l}\n`)));
  const kamailioBin = which(KAMAILIO.command, `${process.env.PATH ?? ''}${delimiter}${SBIN_PATH}`);
  if (!kamailioBin) throw new MissingPrerequisitesError([KAMAILIO]);
  const ports = resolvePorts(process.env, opts.ports);
  const corePorts = opts.mediaCorePorts ?? mediaCorePortsFrom(process.env, ports.sip);
  const rtpRanges = splitRtpRange(ports.rtpMin, ports.rtpMax, corePorts.length);
  // Kamailio's port and every media core's, TCP and UDP.
  for (const p of [ports.sip, ...corePorts]) {
    const busy = await busyPorts({ ...ports, sip: p }, host, ['sip']);
    if (busy.length) throw new PortsBusyError(formatBusy(busy).replace(/SIP_PORT (\d+)/, p === ports.sip ? 'SIP_PORT $1' : 'FLEET_MEDIA_CORE_PORTS $1'));
  }

  const stack = await startStack({ ports, mediaCore: false, quiet: opts.quiet, print: opts.print, logLevel: opts.logLevel, onOutput: opts.onOutput, maxCalls: opts.maxCalls });
  const dir = mkdtempSync(join(tmpdir(), 'fleet-'));
  const mediaCores: FleetMediaCore[] = [];
  let kamailio: Supervised | undefined;
  let stopping = false;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      // The edge first: no new calls reach a core that is about to drain.
      if (kamailio) await kamailio.stop(5000);
      print(`[fleet] draining ${mediaCores.length} media cores (up to ${FLEET_DRAIN_MS / 1000} s)…`);
      await Promise.all(mediaCores.filter(Boolean).map((c) => c.process.stop(FLEET_DRAIN_MS)));
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
    })());
  const configFile = join(dir, 'media-core.json');
  /** Starts media core i (again) and resolves once it printed its ready line. */
  const startCore = async (i: number) => {
    const name = `media-core-${i + 1}`;
    const sipPort = corePorts[i]!;
    const range = rtpRanges[i]!;
    const env = {
      ...process.env,
      ...stack.env.mediaCore,
      CONFIG_FILE: configFile,
      SIP_PORT: String(sipPort),
      RTP_PORT_MIN: String(range.min),
      RTP_PORT_MAX: String(range.max),
      METRICS_PORT: String(opts.metricsPorts?.[i] ?? (Number(process.env.METRICS_PORT) || 9464) + i),
      // The stop grace period must outlast the drain deadline (media-core/config/env.ts).
      ...(opts.drainDeadlineMs !== undefined ? { DRAIN_DEADLINE_MS: String(opts.drainDeadlineMs), STOP_GRACE_PERIOD_MS: String(opts.drainDeadlineMs + 10_000) } : {}),
      ...opts.mediaCoreEnv?.[i],
    };
    const t0 = Date.now();
    const proc = launch(name, process.execPath, [...MEDIA_CORE_NODE_FLAGS, '--import', 'tsx', join(REPO_ROOT, 'media-core/main.ts')], env);
    mediaCores[i] = { name, sipPort, rtpMin: range.min, rtpMax: range.max, process: proc };
    // One core going is what the fleet is for: Kamailio routes around it, the others go on.
    void proc.exited.then(({ code, signal }) => !stopping && print(`[fleet] ${name} exited (${signal ?? `code ${code}`}); Kamailio sends new calls to the others`));
    await waitUntilReady(proc, async () => proc.printed(/\bready\b/i), STARTUP_TIMEOUT_MS.mediaCore, 'its ready line');
    print(`[fleet] ✓ ${name.padEnd(14)} SIP udp+tcp ${host}:${sipPort}  RTP ${range.min}-${range.max}  (${Date.now() - t0} ms)`);
  };
  const launch = (name: string, command: string, args: string[], env: NodeJS.ProcessEnv) => {
    const onOutput = opts.onOutput;
    return spawnSupervised({ name, command, args, env, cwd: REPO_ROOT, echo: !opts.quiet, onLine: onOutput && ((line) => onOutput(name, line)) });
  };

  try {
    writeFileSync(configFile, JSON.stringify(fleetMediaCoreConfig(opts.configFile ?? process.env.CONFIG_FILE ?? 'media-core/config/demo.json', [`${host}/32`], corePorts.length), null, 2));
    await Promise.all(corePorts.map((_, i) => startCore(i)));

    // Locally every caller (SIPp, softphones) is on the loopback network.
    const edge = fleetEdgeFiles(corePorts, host, ['127.0.0.0/8']);
    writeFileSync(join(dir, 'dispatcher.list'), edge.dispatcher);
    writeFileSync(join(dir, 'address.list'), edge.addresses);
    const t0 = Date.now();
    kamailio = launch(
      'kamailio',
      kamailioBin,
      [
        '-f', KAMAILIO_CONFIG,
        '-DD', '-E',
        '-Y', dir,
        '-P', join(dir, 'kamailio.pid'),
        '-m', '64', '-M', '8',
        '-l', `udp:${host}:${ports.sip}`,
        '-l', `tcp:${host}:${ports.sip}`,
        '-A', `DISPATCHER_LIST="${join(dir, 'dispatcher.list')}"`,
        '-A', `ADDRESS_LIST="${join(dir, 'address.list')}"`,
        '-A', `DS_PING_INTERVAL=${opts.probeIntervalS ?? 5}`,
        '-A', `FR_TIMER=${opts.failoverMs ?? 2000}`,
        '-A', `PIKE_DENSITY=${opts.pikeDensity ?? (Number(process.env.FLEET_PIKE_DENSITY) || 2000)}`,
        '-A', `LOG_LEVEL=${(opts.logLevel ?? process.env.LOG_LEVEL) === 'debug' ? 3 : 2}`,
        '-A', 'WORKERS=2',
      ],
      { ...process.env },
    );
    await waitUntilReady(kamailio, () => sipAnswers(ports.sip, host), 20_000, 'an answer to OPTIONS');
    print(`[fleet] ✓ ${'kamailio'.padEnd(14)} SIP udp+tcp ${host}:${ports.sip} -> ${corePorts.map((p) => `${host}:${p}`).join(', ')}  (${Date.now() - t0} ms)`);
  } catch (err) {
    await stop();
    throw err;
  }

  const unexpectedExit = new Promise<string>((resolveExit) => {
    void kamailio!.exited.then(() => !stopping && resolveExit('kamailio'));
    void stack.unexpectedExit.then((name) => !stopping && resolveExit(name));
  });
  const restartMediaCore = async (name: string) => {
    const i = mediaCores.findIndex((c) => c.name === name);
    if (i < 0) throw new Error(`no media core ${name}`);
    await mediaCores[i]!.process.stop(FLEET_DRAIN_MS);
    await startCore(i);
  };
  return { stack, sipPort: ports.sip, mediaCores, kamailio: kamailio!, unexpectedExit, stop, restartMediaCore };
}
