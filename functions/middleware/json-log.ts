/**
 * A one-line JSON logger for HTTP functions whose bundle size is a cold-start budget
 * (the Twilio webhooks: <= 150 KB). Same record shape as lib/log.ts's pino lines
 * ({level, time, name, msg, ...fields}), same LOG_LEVEL, silent under the test runner unless
 * LOG_LEVEL is set, and secret-named fields censored; pino itself would add ~60 KB.
 * Callers redact caller numbers and keys (lib/redact.ts) before logging them.
 */

/** The logging calls middlewares and handlers make. */
export interface JsonLog {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50, silent: Infinity } as const;
const SECRET = /^(authorization|password|token|authtoken|accesskeysecret|x-twilio-signature)$/i;

function censor(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET.test(k) ? '[redacted]' : v;
  return out;
}

/** @param name logger name (e.g. "twilio.receive-call"); @param write sink, default stdout. */
export function createJsonLog(name: string, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): JsonLog {
  const configured = (process.env.LOG_LEVEL ?? (process.env.NODE_TEST_CONTEXT ? 'silent' : 'info')) as keyof typeof LEVELS;
  const threshold = LEVELS[configured] ?? LEVELS.info;
  const emit = (level: 'info' | 'warn' | 'error') => (fields: Record<string, unknown>, msg: string) => {
    if (LEVELS[level] < threshold) return;
    write(JSON.stringify({ ...censor(fields), level: LEVELS[level], time: Date.now(), name, msg }));
  };
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}
