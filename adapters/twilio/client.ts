/**
 * Twilio REST client for the two calls this project makes: Messages create and Account
 * fetch (api.twilio.com 2010-04-01), with axios and HTTP Basic auth (AccountSid:AuthToken).
 * The base URL is configuration (TWILIO_API_BASE_URL), so tests point it at
 * dev/sandboxes/twilio.ts. Throttling (429) and server errors (5xx) are retried within a deadline.
 * Spec: twilio.com/docs/messaging/api/message-resource, twilio.com/docs/iam/api/account
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { withRetry, type RetryDecision } from '../../lib/retry.ts';
import { TwilioApiError } from './errors.ts';

/** Form fields of Messages create, with Twilio's parameter names. */
export interface CreateMessageParams {
  To: string;
  From?: string;
  MessagingServiceSid?: string;
  Body?: string;
  MediaUrl?: string[];
  StatusCallback?: string;
}

/** The fields of a Message resource this project reads. */
export interface MessageResource {
  sid: string;
  status: string;
  to: string;
  from: string | null;
  messaging_service_sid: string | null;
  num_media: string;
}

/** The fields of an Account resource this project reads. */
export interface AccountResource {
  sid: string;
  friendly_name: string;
  status: 'active' | 'suspended' | 'closed' | string;
  type: string;
}

export interface TwilioClientOptions {
  accountSid: string;
  authToken: string;
  /** Default https://api.twilio.com. */
  baseUrl?: string;
  /** Per-request timeout, ms (default 5000). */
  timeoutMs?: number;
  /** Total budget including retries, ms (default 8000). */
  deadlineMs?: number;
}

export interface TwilioClient {
  /** POST /2010-04-01/Accounts/{AccountSid}/Messages.json. @throws TwilioApiError */
  createMessage(params: CreateMessageParams): Promise<MessageResource>;
  /** GET /2010-04-01/Accounts/{AccountSid}.json. @throws TwilioApiError */
  fetchAccount(): Promise<AccountResource>;
}

function toApiError(res: AxiosResponse | undefined, err: unknown): TwilioApiError {
  if (!res) return new TwilioApiError(0, undefined, err instanceof Error ? err.message : String(err));
  const data = res.data as { code?: number; message?: string; more_info?: string } | undefined;
  return new TwilioApiError(res.status, data?.code, data?.message ?? `HTTP ${res.status}`, data?.more_info);
}

function classify(err: unknown): RetryDecision {
  if (!(err instanceof TwilioApiError)) return { retry: false };
  return { retry: err.status === 0 || err.status === 429 || err.status >= 500 };
}

/** Creates a client. No request is made until a method is called. */
export function createTwilioClient(opts: TwilioClientOptions): TwilioClient {
  const http: AxiosInstance = axios.create({
    baseURL: (opts.baseUrl ?? 'https://api.twilio.com').replace(/\/+$/, ''),
    timeout: opts.timeoutMs ?? 5000,
    auth: { username: opts.accountSid, password: opts.authToken },
    validateStatus: () => true,
  });
  const account = `/2010-04-01/Accounts/${encodeURIComponent(opts.accountSid)}`;

  async function call<T>(send: () => Promise<AxiosResponse>, ok: number): Promise<T> {
    const { value } = await withRetry(
      async () => {
        let res: AxiosResponse;
        try {
          res = await send();
        } catch (err) {
          throw toApiError(undefined, err);
        }
        if (res.status !== ok) throw toApiError(res, undefined);
        return res.data as T;
      },
      { deadlineMs: opts.deadlineMs ?? 8000, classify },
    );
    return value;
  }

  return {
    createMessage(p) {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(p)) {
        if (v === undefined) continue;
        for (const item of Array.isArray(v) ? v : [v]) form.append(k, String(item));
      }
      return call<MessageResource>(
        () => http.post(`${account}/Messages.json`, form.toString(), { headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        201,
      );
    },
    fetchAccount() {
      return call<AccountResource>(() => http.get(`${account}.json`), 200);
    },
  };
}
