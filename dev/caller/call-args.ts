/**
 * Command line of `npm run call` (dev/caller/main.ts):
 *
 *   npm run call -- --to <E.164 number> [--dtmf 0] [--say "I want to speak to an agent"]
 *                   [--host 127.0.0.1] [--port 5060] [--transport udp|tcp] [--from <number>]
 *                   [--after 3000] [--timeout 60] [--sandbox http://127.0.0.1:4010]
 */
import { parseArgs } from 'node:util';

export interface CallOptions {
  /** Called number (Request-URI user part), E.164. */
  to: string;
  /** Caller number (From user part). */
  from: string;
  /** DTMF digits to send as RFC 4733 events, in order ('' = none); "," is a 1 s pause. */
  dtmf: string;
  /** Phrase to speak (espeak-ng), sent as PCMU RTP; undefined = none. */
  say?: string;
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
  /** Wait after the call is answered before sending DTMF or speech (the greeting), ms. */
  afterMs: number;
  /** Bound of the whole run, ms. */
  timeoutMs: number;
  /** Sandbox base URL, for where the call ended. */
  sandboxUrl: string;
  /** Agent screen pop base URL (printed with the key). */
  screenPopUrl: string;
  help: boolean;
}

/** Thrown for a bad command line; the message says what is wrong (print it with USAGE). */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `usage: npm run call -- --to <number> [options]
  --to <number>       called number, E.164 (demo: +15550100001 SIP, +15550100002 Twilio,
                      +15550100003 Amazon Connect, +15550100004 NICE CXone)
  --dtmf <digits>     send DTMF digits (0-9 * #, "," pauses 1 s), e.g. --dtmf 0 or 1234#,,,0
  --say <phrase>      speak a phrase (espeak-ng), e.g. --say "I want to speak to an agent"
  --host <host>       media core host (default 127.0.0.1)
  --port <port>       media core SIP port (default SIP_PORT or 5060)
  --transport udp|tcp SIP transport (default udp)
  --from <number>     caller number (default +15557654321)
  --after <ms>        wait after answer before DTMF/speech (default 3000)
  --timeout <s>       give up after this many seconds (default 60)
  --sandbox <url>     contact-center sandboxes (default SANDBOX_URL or http://127.0.0.1:4010)`;

const E164 = /^\+?[1-9]\d{1,14}$/;

function int(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} ${raw}: must be an integer ${min}-${max}`);
  return n;
}

/**
 * Parses `argv` (without node and the script).
 * @throws UsageError for an unknown option, a missing --to, or a malformed value.
 */
export function parseCallArgs(argv: string[], env: Record<string, string | undefined> = process.env): CallOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        to: { type: 'string' },
        from: { type: 'string' },
        dtmf: { type: 'string' },
        say: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        transport: { type: 'string' },
        after: { type: 'string' },
        timeout: { type: 'string' },
        sandbox: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const help = values.help ?? false;
  const to = values.to ?? '';
  if (!help && !to) throw new UsageError('--to <number> is required');
  if (to && !E164.test(to)) throw new UsageError(`--to ${to}: must be a phone number such as +15550100003`);
  const from = values.from ?? '+15557654321';
  if (!E164.test(from)) throw new UsageError(`--from ${from}: must be a phone number`);
  const dtmf = (values.dtmf ?? '').replace(/\s/g, '');
  if (!/^[0-9*#,]*$/.test(dtmf)) throw new UsageError(`--dtmf ${values.dtmf}: only digits 0-9, * and # can be sent ("," pauses 1 s)`);
  if (dtmf.length > 32) throw new UsageError('--dtmf: at most 32 digits');
  const say = values.say?.trim() || undefined;
  if (say && say.length > 500) throw new UsageError('--say: at most 500 characters');
  const transport = (values.transport ?? 'udp').toLowerCase();
  if (transport !== 'udp' && transport !== 'tcp') throw new UsageError(`--transport ${values.transport}: udp or tcp`);
  const host = values.host ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(host)) throw new UsageError(`--host ${host}: not a host name or IP address`);
  const httpPort = env.HTTP_PORT || '3000';
  return {
    to: to.startsWith('+') || !to ? to : `+${to}`,
    from,
    dtmf,
    say,
    host,
    port: int('port', values.port ?? env.SIP_PORT ?? '5060', 1, 65535),
    transport,
    afterMs: int('after', values.after ?? '3000', 0, 60_000),
    timeoutMs: int('timeout', values.timeout ?? '60', 5, 600) * 1000,
    sandboxUrl: (values.sandbox ?? env.SANDBOX_URL ?? `http://127.0.0.1:${env.SANDBOX_PORT || 4010}`).replace(/\/+$/, ''),
    screenPopUrl: env.AGENT_SCREEN_POP_BASE_URL || `http://127.0.0.1:${httpPort}/agent`,
    help,
  };
}
