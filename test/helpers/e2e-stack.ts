/**
 * The whole local stack (dev/stack/stack.ts: dynalite, serverless-offline, sandboxes, media
 * core) on free 127.0.0.1 ports for one end-to-end test file, plus a `call` that places calls
 * to it with the same code as `npm run call` (dev/caller/place-call.ts), Twilio's webhooks
 * emulated with the stack's fake per-run auth token.
 *
 *   const stack = await startTestStack();
 *   const call = await stack.call({ to: '+15550100003', dtmf: '0' });
 *   await stack.stop();
 */
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { placeCall, type PlaceCallOptions, type PlacedCall } from '../../dev/caller/place-call.ts';
import { startStack, type RunningStack } from '../../dev/stack/stack.ts';
import type { TwilioEmulation } from '../../dev/caller/twilio-emulation.ts';
import { CONNECT_FLOW_FUNCTION } from '../../dev/caller/contact-token-emulation.ts';
import { freeSipPort, freeTcpPort } from '../../dev/free-ports.ts';
import { describeCall } from './e2e-ladder.ts';

export interface TestStack extends RunningStack {
  /** What Twilio would know: the functions' public URL, the fake auth token, the account. */
  twilio: TwilioEmulation;
  /** Places one call to the stack's media core; unspecified options get test defaults. */
  call(o: Partial<PlaceCallOptions> & { to: string }): Promise<PlacedCall>;
  /** Processes still running that this stack started (sipp towards its SIP port, serverless on its HTTP port). */
  leftovers(): string[];
  /** Every output line of a component so far (at most 20,000 per component). */
  log(component: 'media-core' | 'offline' | 'sandboxes'): string[];
  /** describeCall plus the media core's log lines of this call (by Call-ID) and the stack's warnings/errors. */
  explain(call: PlacedCall): string;
}

async function distinctTcpPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let i = 0; ports.size < n && i < 50; i++) ports.add(await freeTcpPort());
  if (ports.size < n) throw new Error(`could not find ${n} distinct free TCP ports`);
  return [...ports];
}

/** Command lines of running processes matching `pattern` (pgrep -af), without pgrep itself. */
export function processesMatching(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', pattern], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() && !/\bpgrep\b/.test(l));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/**
 * Starts the stack on free ports (quiet; LOG_LEVEL info unless given); startStack warms the
 * functions before the media core starts (dev/stack/warm-functions.ts).
 * @throws what startStack throws (missing prerequisites, a component that does not start).
 */
export async function startTestStack(opts: { configFile?: string; logLevel?: string } = {}): Promise<TestStack> {
  const [dynamodb, http, lambda, sandbox] = await distinctTcpPorts(4);
  let sip = await freeSipPort();
  for (let i = 0; i < 5 && [dynamodb, http, lambda, sandbox].includes(sip); i++) sip = await freeSipPort();
  // A random even RTP range away from the usual 10000-10999, so parallel stacks rarely meet.
  const rtpMin = 2 * randomInt(10_000, 14_900);
  const logs = new Map<string, string[]>();
  const stack = await startStack({
    onOutput: (component, line) => {
      const lines = logs.get(component) ?? [];
      if (lines.length < 20_000) lines.push(line);
      logs.set(component, lines);
    },
    ports: { dynamodb: dynamodb!, http: http!, lambda: lambda!, sandbox: sandbox!, sip, rtpMin, rtpMax: rtpMin + 99 },
    quiet: true,
    configFile: opts.configFile,
    logLevel: opts.logLevel ?? 'info',
  });
  const twilio: TwilioEmulation = {
    publicBaseUrl: stack.env.offline.PUBLIC_BASE_URL!,
    authToken: stack.env.offline.TWILIO_AUTH_TOKEN!,
    accountSid: stack.env.offline.TWILIO_ACCOUNT_SID!,
  };
  return {
    ...stack,
    twilio,
    call: (o) =>
      placeCall({
        from: '+15557654321',
        dtmf: '',
        host: '127.0.0.1',
        port: stack.ports.sip,
        transport: 'udp',
        afterMs: 500,
        timeoutMs: 40_000,
        sandboxUrl: stack.env.urls.sandbox,
        configFile: opts.configFile,
        twilio,
        contactTokens: { lambdaUrl: stack.env.urls.lambda, connectFlowFunction: CONNECT_FLOW_FUNCTION, httpUrl: stack.env.urls.http, cxoneMintApiKey: stack.env.offline.CXONE_MINT_API_KEY! },
        ...o,
      }),
    log: (component) => [...(logs.get(component) ?? [])],
    explain: (call) => {
      const callId = call.messages.find((m) => m.method === 'INVITE')?.headers.get('call-id')?.[0];
      const mine = (logs.get('media-core') ?? []).filter((l) => (callId && l.includes(`"${callId}"`)) || /"level":[456]0/.test(l));
      const offline = (logs.get('offline') ?? []).filter((l) => /"level":[456]0|error|timed? ?out/i.test(l)).slice(-20);
      return [describeCall(call), '--- media core (this call, and warnings) ---', ...mine.slice(-40), '--- offline (warnings/errors) ---', ...offline].join('\n');
    },
    leftovers: () => [...processesMatching(`sipp 127\\.0\\.0\\.1:${stack.ports.sip}\\b`), ...processesMatching(`serverless.*--httpPort ${stack.ports.http}\\b`)],
  };
}
