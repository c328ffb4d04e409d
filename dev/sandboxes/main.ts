/**
 * CLI: `tsx dev/sandboxes/main.ts` starts the contact-center sandboxes on 127.0.0.1:SANDBOX_PORT
 * (default 4010) and prints one ready line (JSON) with the URL and the non-secret ids.
 * Fake secrets come from SANDBOX_* variables (dev/sandboxes/config.ts) or are generated; they are
 * printed only when SANDBOX_PRINT_CREDENTIALS=1 (local use, never real credentials).
 * Stops on SIGINT/SIGTERM.
 */
import { startSandboxes } from './server.ts';

const port = Number(process.env.SANDBOX_PORT ?? 4010);
const sb = await startSandboxes({ port, host: '127.0.0.1' });
const c = sb.credentials;
const ready: Record<string, unknown> = {
  ready: true,
  url: sb.url,
  amazonConnect: { endpoint: sb.url, instanceIds: c.connect.instanceIds },
  niceCxone: { issuer: sb.url, clientId: c.cxone.clientId, accessKeyId: c.cxone.accessKeyId, tenantId: c.cxone.tenantId },
};
if (process.env.SANDBOX_PRINT_CREDENTIALS === '1') ready.fakeSecrets = { cxoneClientSecret: c.cxone.clientSecret, cxoneAccessKeySecret: c.cxone.accessKeySecret };
console.log(`sandboxes ready ${JSON.stringify(ready)}`);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void sb.stop().then(() => process.exit(0)));
