/**
 * `npm start`: the whole local stack on 127.0.0.1 in one command (see dev/stack/stack.ts):
 * dynalite, serverless-offline, the contact-center sandboxes and the media core.
 * Ports from DYNAMODB_PORT, HTTP_PORT, LAMBDA_PORT, SANDBOX_PORT, SIP_PORT, RTP_PORT_MIN/MAX.
 * Ctrl-C, SIGTERM or SIGHUP (the terminal closed) stops everything (media core drained first)
 * and exits 0; a repeated signal does not cut the stop short. Should the launcher itself be
 * killed, each child sees its parent-watch pipe close and stops (dev/stack/supervise.ts).
 */
import { MissingPrerequisitesError, PortsBusyError, startStack, StartupError } from './stack.ts';
import { missingPrerequisites, SIPP } from './prerequisites.ts';
import { removeStackInfo, writeStackInfo } from './stack-info.ts';
import { CONNECT_FLOW_FUNCTION } from '../caller/contact-token-emulation.ts';

async function main(): Promise<number> {
  // The AWS SDK warns on every start that its 2027 releases will need Node 22; the project runs
  // on Node 20 locally by design (Lambda runs nodejs22.x), so the warning is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let stack;
  try {
    stack = await startStack();
  } catch (err) {
    if (err instanceof MissingPrerequisitesError || err instanceof PortsBusyError || err instanceof StartupError) {
      process.stderr.write(`\n${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const { urls } = stack.env;
  // For `npm run call` on a Twilio Flex number: it signs the webhooks with this run's fake token.
  writeStackInfo({
    pid: process.pid,
    sipPort: stack.ports.sip,
    sandboxUrl: urls.sandbox,
    twilio: { publicBaseUrl: stack.env.offline.PUBLIC_BASE_URL!, authToken: stack.env.offline.TWILIO_AUTH_TOKEN!, accountSid: stack.env.offline.TWILIO_ACCOUNT_SID! },
    screenPopSecret: stack.env.offline.SCREEN_POP_SECRET,
    // For Amazon Connect and NICE CXone numbers: the contact token, as the flow or script gets it.
    contactTokens: { lambdaUrl: urls.lambda, connectFlowFunction: CONNECT_FLOW_FUNCTION, httpUrl: urls.http, cxoneMintApiKey: stack.env.offline.CXONE_MINT_API_KEY! },
  });
  const lines = [
    '',
    `  call it:        npm run call -- --to +15550100003 --say "I want to speak to an agent"`,
    `                  (or any SIP softphone: sip:+15550100001@${urls.sip})`,
    `  demo numbers:   +15550100001 SIP trunk, +15550100002 Twilio Flex, +15550100003 Amazon Connect, +15550100004 NICE CXone`,
    `  where calls end: ${urls.sandboxEvents}`,
    `  agent screen pop: ${urls.agentScreenPop}?view=… (a signed link, valid 1 hour; npm run call prints it)`,
  ];
  if (missingPrerequisites([SIPP]).length) lines.push('  note: sipp is not installed, so npm run call will not work (sudo apt-get install sip-tester)');
  lines.push(`ready: the phone integration runs on 127.0.0.1 (SIP ${urls.sip}); Ctrl-C stops it`);
  process.stdout.write(`${lines.join('\n')}\n`);

  const signal = new Promise<string>((resolve) => {
    // Handlers stay installed: npm passes a group's SIGTERM on to this script, so it comes
    // twice, and a second signal with no handler would kill the launcher half-way through.
    let received: string | undefined;
    const onSignal = (name: string) => {
      if (received) {
        process.stderr.write(`[stack] ${name}: already stopping (${received})\n`);
        return;
      }
      received = name;
      resolve(name);
    };
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(name, () => onSignal(name));
    // After SIGHUP the terminal is gone: writing to it fails (EIO), which must not end the stop.
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
    // A supervisor that dies without passing its signal on (npm's sh, a killed terminal)
    // must not leave the stack running: an orphan is re-parented, so its ppid changes.
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && resolve('parent process exited'), 500).unref();
  });
  const reason = await Promise.race([signal, stack.unexpectedExit.then((name) => `exit of ${name}`)]);
  process.stdout.write(`\n[stack] stopping (${reason})…\n`);
  removeStackInfo(stack.ports.sip);
  await stack.stop();
  return reason.startsWith('exit of') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`npm start failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
