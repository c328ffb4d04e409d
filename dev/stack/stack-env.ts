/**
 * The local stack's wiring in one place: from the ports (and per-run fake credentials) it
 * computes the environment of every component, so `npm start`, docker-compose.yml and the
 * end-to-end tests start the same stack, only on different ports.
 *
 * Every port has an environment variable (PORT_ENV) and a default (DEFAULT_PORTS). All
 * components bind 127.0.0.1 locally; the media core is the only one that takes SIP (UDP and TCP).
 */
import { randomBytes, randomUUID } from 'node:crypto';

/** TCP/UDP ports of the local stack. */
export interface Ports {
  /** dynalite (DynamoDB API), TCP. */
  dynamodb: number;
  /** serverless-offline HTTP API (webhooks, GET /agent), TCP. */
  http: number;
  /** serverless-offline Lambda Invoke API, TCP. */
  lambda: number;
  /** Contact-center sandboxes (Connect, CXone, Twilio REST), TCP. */
  sandbox: number;
  /** Media core SIP, UDP and TCP. */
  sip: number;
  /** Media core RTP range, UDP, inclusive. */
  rtpMin: number;
  rtpMax: number;
}

export const DEFAULT_PORTS: Readonly<Ports> = Object.freeze({
  dynamodb: 4567,
  http: 3000,
  lambda: 3002,
  sandbox: 4010,
  sip: 5060,
  rtpMin: 10000,
  rtpMax: 10099,
});

/** The environment variable that overrides each port. */
export const PORT_ENV: Readonly<Record<keyof Ports, string>> = Object.freeze({
  dynamodb: 'DYNAMODB_PORT',
  http: 'HTTP_PORT',
  lambda: 'LAMBDA_PORT',
  sandbox: 'SANDBOX_PORT',
  sip: 'SIP_PORT',
  rtpMin: 'RTP_PORT_MIN',
  rtpMax: 'RTP_PORT_MAX',
});

/**
 * serverless.yml's service and default stage: serverless-offline names functions
 * `<service>-<stage>-<function>` and sets STATE_TABLE to `<service>-<stage>-state` itself
 * (provider.environment wins over the process environment), so the stack uses the same names.
 */
export const SERVICE = 'open-phone-integration';
export const STAGE = 'dev';
export const STATE_TABLE = `${SERVICE}-${STAGE}-state`;

/** The Amazon Connect instance the demo uses (not a secret; the sandbox knows it through env). */
export const DEMO_CONNECT_INSTANCE_ID = '5f0c7d3e-0000-4000-8000-00000000c0de';
export const DEMO_AWS_ACCOUNT = '000000000000';
export const DEMO_REGION = 'us-east-1';
export const DEMO_CONNECT_INSTANCE_ARN = `arn:aws:connect:${DEMO_REGION}:${DEMO_AWS_ACCOUNT}:instance/${DEMO_CONNECT_INSTANCE_ID}`;

/** Fake credentials generated per run; both the sandboxes and the functions get them. */
export interface StackSecrets {
  awsAccessKeyId: string;
  awsSecretAccessKey: string;
  twilioAccountSid: string;
  twilioAuthToken: string;
  cxoneAccessKeyId: string;
  cxoneAccessKeySecret: string;
  cxoneClientId: string;
  cxoneClientSecret: string;
  cxoneTenantId: string;
  /** HMAC secret of the screen pop's signed view links (adapters/agent-view/link.ts). */
  screenPopSecret: string;
  /** Contact token secret (lib/contact-token.ts), shared by the minting functions and the media core. */
  contactTokenSecret: string;
  /** API key of the CXone mint endpoint (functions/nice-cxone/contact-token.ts). */
  cxoneMintApiKey: string;
  /** API key the Watson speech emulation accepts (SPEECH=sandbox-watson). */
  watsonApiKey: string;
}

/** Random, obviously fake values (never real credentials). */
export function generateSecrets(): StackSecrets {
  const hex = (n: number) => randomBytes(n).toString('hex');
  return {
    awsAccessKeyId: `LOCALFAKE${hex(6).toUpperCase()}`,
    awsSecretAccessKey: `local-fake-${randomBytes(24).toString('base64url')}`,
    twilioAccountSid: `AC${hex(16)}`,
    twilioAuthToken: hex(16),
    cxoneAccessKeyId: `local-fake-key-${hex(8)}`,
    cxoneAccessKeySecret: `local-fake-secret-${randomBytes(24).toString('base64url')}`,
    cxoneClientId: `local-fake-client-${randomUUID()}`,
    cxoneClientSecret: `local-fake-client-secret-${hex(16)}`,
    cxoneTenantId: randomUUID(),
    screenPopSecret: `local-fake-screen-pop-${randomBytes(32).toString('base64url')}`,
    contactTokenSecret: `local-fake-contact-token-${randomBytes(32).toString('base64url')}`,
    cxoneMintApiKey: `local-fake-mint-key-${hex(16)}`,
    watsonApiKey: `local-fake-watson-${hex(16)}`,
  };
}

/**
 * Reads port overrides from `env` and merges them over DEFAULT_PORTS and then `overrides`
 * (explicit overrides win over env).
 * @throws Error naming the variable when a value is not a port number 1-65535, or when RTP_PORT_MIN > RTP_PORT_MAX.
 */
export function resolvePorts(env: Record<string, string | undefined> = process.env, overrides: Partial<Ports> = {}): Ports {
  const ports = { ...DEFAULT_PORTS } as Ports;
  for (const [name, variable] of Object.entries(PORT_ENV) as [keyof Ports, string][]) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${variable}=${raw}: must be a port number 1-65535`);
    ports[name] = n;
  }
  Object.assign(ports, Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)));
  if (ports.rtpMin > ports.rtpMax) throw new Error(`RTP_PORT_MIN (${ports.rtpMin}) must not exceed RTP_PORT_MAX (${ports.rtpMax})`);
  return ports;
}

/** URLs of the stack's HTTP services, derived from the ports. */
export interface StackUrls {
  dynamodb: string;
  http: string;
  lambda: string;
  sandbox: string;
  sandboxEvents: string;
  agentScreenPop: string;
  /** SIP host:port of the media core. */
  sip: string;
}

export function stackUrls(ports: Ports, host = '127.0.0.1'): StackUrls {
  return {
    dynamodb: `http://${host}:${ports.dynamodb}`,
    http: `http://${host}:${ports.http}`,
    lambda: `http://${host}:${ports.lambda}`,
    sandbox: `http://${host}:${ports.sandbox}`,
    sandboxEvents: `http://${host}:${ports.sandbox}/_sandbox/events`,
    agentScreenPop: `http://${host}:${ports.http}/agent`,
    sip: `${host}:${ports.sip}`,
  };
}

/** The environment of each component (only the variables the stack sets; merge over process.env to spawn). */
export interface StackEnv {
  urls: StackUrls;
  /** serverless-offline and, through --localEnvironment, every function. */
  offline: Record<string, string>;
  /** The contact-center sandboxes (tsx dev/sandboxes/main.ts). */
  sandboxes: Record<string, string>;
  /** The media core (tsx media-core/main.ts). */
  mediaCore: Record<string, string>;
}

export interface StackEnvOptions {
  /** Interface every component binds and every URL uses (default 127.0.0.1). */
  host?: string;
  /** Media core config file (default media-core/config/demo.json). */
  configFile?: string;
  /** LOG_LEVEL for every component (default info). */
  logLevel?: string;
  /**
   * Speech path (SPEECH): `embedded` (default: espeak-ng, pocketsphinx) or `sandbox-watson`
   * (IBM Watson Speech to Text and Text to Speech, emulated by the sandboxes).
   */
  speech?: string;
  /**
   * The media core's MAX_CALLS (default 'headroom': admit what the machine can carry, not a
   * plan's count; the plan names trial, plus, enterprise or a number stay available).
   */
  maxCalls?: string;
}

/** The speech paths `npm start` can run (SPEECH). */
export const STACK_SPEECH = ['embedded', 'sandbox-watson'] as const;

/** The local stack's admission default: the machine's capacity, not the Trial plan's 5 calls. */
export const LOCAL_MAX_CALLS = 'headroom';
/**
 * The media core's own drain deadline in the local stack, ms: shorter than the stack's wait
 * for it (stack.ts MEDIA_CORE_DRAIN_MS, 20 s), so calls are ended with BYE, not cut by SIGKILL.
 */
export const LOCAL_DRAIN_DEADLINE_MS = 15_000;

/**
 * Computes every component's environment from the ports and the per-run secrets.
 * Pure: same input, same output (tests compare it; docker-compose.yml mirrors it).
 */
export function computeStackEnv(ports: Ports, secrets: StackSecrets, opts: StackEnvOptions = {}): StackEnv {
  const host = opts.host ?? '127.0.0.1';
  const speech = opts.speech || 'embedded';
  if (!(STACK_SPEECH as readonly string[]).includes(speech)) throw new Error(`SPEECH=${speech}: one of ${STACK_SPEECH.join(', ')}`);
  const urls = stackUrls(ports, host);
  const logLevel = opts.logLevel ?? 'info';
  const aws = {
    AWS_REGION: DEMO_REGION,
    AWS_DEFAULT_REGION: DEMO_REGION,
    AWS_ACCESS_KEY_ID: secrets.awsAccessKeyId,
    AWS_SECRET_ACCESS_KEY: secrets.awsSecretAccessKey,
    // Local Node 20 is supported by this project; the SDK's notice that it will stop
    // supporting it buries the stack's status lines (Lambda itself runs nodejs22.x).
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const store = { DYNAMODB_ENDPOINT: urls.dynamodb, STATE_TABLE };
  const vendorCredentials = {
    TWILIO_ACCOUNT_SID: secrets.twilioAccountSid,
    TWILIO_AUTH_TOKEN: secrets.twilioAuthToken,
    CXONE_ACCESS_KEY_ID: secrets.cxoneAccessKeyId,
    CXONE_ACCESS_KEY_SECRET: secrets.cxoneAccessKeySecret,
    CXONE_CLIENT_ID: secrets.cxoneClientId,
    CXONE_CLIENT_SECRET: secrets.cxoneClientSecret,
    AMAZON_CONNECT_INSTANCE_ID: DEMO_CONNECT_INSTANCE_ID,
    CONTACT_TOKEN_SECRET: secrets.contactTokenSecret,
    CXONE_MINT_API_KEY: secrets.cxoneMintApiKey,
  };
  const offline: Record<string, string> = {
    ...aws,
    ...store,
    ...vendorCredentials,
    LOG_LEVEL: logLevel,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    HTTP_PORT: String(ports.http),
    LAMBDA_PORT: String(ports.lambda),
    PUBLIC_BASE_URL: urls.http,
    MEDIA_CORE_SIP_HOST: urls.sip,
    SIP_SECURE: 'false',
    SIP_TRANSPORT: 'udp',
    STUDIO_FLOW_WEBHOOK_URL: `${urls.sandbox}/twilio/studio/flow-webhook`,
    TWILIO_API_BASE_URL: urls.sandbox,
    AMAZON_CONNECT_ENDPOINT: urls.sandbox,
    CXONE_ISSUER_URL: urls.sandbox,
    AGENT_SCREEN_POP_BASE_URL: urls.agentScreenPop,
    SCREEN_POP_SECRET: secrets.screenPopSecret,
  };
  // dev/sandboxes/config.ts reads SANDBOX_*: the same values the functions use as their credentials.
  const sandboxes: Record<string, string> = {
    LOG_LEVEL: logLevel,
    SANDBOX_HOST: host,
    SANDBOX_PORT: String(ports.sandbox),
    SANDBOX_AWS_ACCESS_KEY_ID: secrets.awsAccessKeyId,
    SANDBOX_CONNECT_INSTANCE_IDS: DEMO_CONNECT_INSTANCE_ID,
    SANDBOX_CXONE_CLIENT_ID: secrets.cxoneClientId,
    SANDBOX_CXONE_CLIENT_SECRET: secrets.cxoneClientSecret,
    SANDBOX_CXONE_ACCESS_KEY_ID: secrets.cxoneAccessKeyId,
    SANDBOX_CXONE_ACCESS_KEY_SECRET: secrets.cxoneAccessKeySecret,
    SANDBOX_CXONE_TENANT_ID: secrets.cxoneTenantId,
    SANDBOX_TWILIO_ACCOUNT_SID: secrets.twilioAccountSid,
    SANDBOX_TWILIO_AUTH_TOKEN: secrets.twilioAuthToken,
  };
  const mediaCore: Record<string, string> = {
    ...aws,
    ...store,
    LOG_LEVEL: logLevel,
    CONFIG_FILE: opts.configFile ?? 'media-core/config/demo.json',
    MAX_CALLS: opts.maxCalls ?? LOCAL_MAX_CALLS,
    DRAIN_DEADLINE_MS: String(LOCAL_DRAIN_DEADLINE_MS),
    SIP_HOST: host,
    SIP_PORT: String(ports.sip),
    RTP_PORT_MIN: String(ports.rtpMin),
    RTP_PORT_MAX: String(ports.rtpMax),
    LAMBDA_ENDPOINT: urls.lambda,
    AGENT_SCREEN_POP_BASE_URL: urls.agentScreenPop,
    PUBLIC_BASE_URL: urls.http,
    // vgwActSendSMS goes to the Twilio sandbox.
    TWILIO_ACCOUNT_SID: secrets.twilioAccountSid,
    TWILIO_AUTH_TOKEN: secrets.twilioAuthToken,
    TWILIO_API_BASE_URL: urls.sandbox,
    // Verifies the contact tokens the Connect flow function and the CXone mint endpoint issue.
    CONTACT_TOKEN_SECRET: secrets.contactTokenSecret,
  };
  if (speech === 'sandbox-watson') {
    // The sandboxes emulate Watson STT (WebSocket), TTS and IAM on their own port (dev/sandboxes/watson.ts).
    sandboxes.SANDBOX_WATSON_APIKEY = secrets.watsonApiKey;
    Object.assign(mediaCore, {
      SPEECH: 'sandbox-watson',
      WATSON_STT_URL: `${urls.sandbox.replace(/^http/, 'ws')}/speech-to-text`,
      WATSON_TTS_URL: `${urls.sandbox}/text-to-speech`,
      WATSON_IAM_URL: `${urls.sandbox}/identity/token`,
      WATSON_SPEECH_APIKEY: secrets.watsonApiKey,
    });
  }
  return { urls, offline, sandboxes, mediaCore };
}
