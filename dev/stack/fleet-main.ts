/**
 * `npm run fleet`: the local stack with Kamailio in front of two media cores, on 127.0.0.1
 * (dev/stack/fleet.ts): calls to SIP_PORT (default 5060) reach Kamailio, which spreads them
 * over the media cores on FLEET_MEDIA_CORE_PORTS (default 5071,5072), probes them with OPTIONS
 * and fails over on 503 or silence. Other ports as for `npm start` (DYNAMODB_PORT, HTTP_PORT,
 * LAMBDA_PORT, SANDBOX_PORT, RTP_PORT_MIN/MAX: the RTP range is split between the cores).
 * Ctrl-C, SIGTERM or SIGHUP stops everything (Kamailio first, then the cores drain).
 */
import { MissingPrerequisitesError, PortsBusyError, StartupError } from './stack.ts';
import { startFleet } from './fleet.ts';
import { removeStackInfo, writeStackInfo } from './stack-info.ts';

async function main(): Promise<number> {
  let fleet;
  try {
    fleet = await startFleet();
  } catch (err) {
    if (err instanceof MissingPrerequisitesError || err instanceof PortsBusyError || err instanceof StartupError) {
      process.stderr.write(`\n${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const { env } = fleet.stack;
  // npm run call --port <SIP_PORT> finds the fake Twilio credentials of this run.
  writeStackInfo({
    pid: process.pid,
    sipPort: fleet.sipPort,
    sandboxUrl: env.urls.sandbox,
    twilio: { publicBaseUrl: env.offline.PUBLIC_BASE_URL!, authToken: env.offline.TWILIO_AUTH_TOKEN!, accountSid: env.offline.TWILIO_ACCOUNT_SID! },
  });
  const cores = fleet.mediaCores.map((c) => `${c.name} 127.0.0.1:${c.sipPort}`).join(', ');
  process.stdout.write(
    [
      '',
      `  call it:        npm run call -- --port ${fleet.sipPort} --to +15550100001 --dtmf 0`,
      `  where calls end: ${env.urls.sandboxEvents}`,
      `ready: the fleet runs on 127.0.0.1: Kamailio SIP 127.0.0.1:${fleet.sipPort} in front of ${cores}; Ctrl-C stops it`,
      '',
    ].join('\n'),
  );
  const signal = new Promise<string>((resolve) => {
    let received: string | undefined;
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(name, () => {
        if (received) return void process.stderr.write(`[fleet] ${name}: already stopping (${received})\n`);
        received = name;
        resolve(name);
      });
    }
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  });
  const reason = await Promise.race([signal, fleet.unexpectedExit.then((name) => `exit of ${name}`)]);
  process.stdout.write(`\n[fleet] stopping (${reason})…\n`);
  removeStackInfo(fleet.sipPort);
  await fleet.stop();
  return reason.startsWith('exit of') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`npm run fleet failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
