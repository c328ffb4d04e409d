/**
 * IBM Cloud IAM access tokens from an API key (POST {iamUrl}, form
 * grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=...), cached until 60 s before
 * `expires_in`. Shared by the Watson Assistant, Speech to Text and Text to Speech clients.
 * (cloud.ibm.com/docs/account?topic=account-iamtoken_from_apikey)
 */
import axios from 'axios';

interface Cached {
  token: string;
  expiresAt: number;
}

/** An IAM token source for one API key. */
export class IamTokenSource {
  private cached?: Cached;
  private pending?: Promise<string>;
  constructor(
    private readonly iamUrl: string,
    private readonly apiKey: string,
    private readonly timeoutMs = 5000,
  ) {}

  /** A valid bearer token. @throws Error "IAM token request failed: <status>" (the key is never in the message). */
  async token(now = Date.now()): Promise<string> {
    if (this.cached && this.cached.expiresAt > now) return this.cached.token;
    this.pending ??= this.fetch().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetch(): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'urn:ibm:params:oauth:grant-type:apikey', apikey: this.apiKey });
    try {
      const r = await axios.post(this.iamUrl, body.toString(), {
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        timeout: this.timeoutMs,
      });
      const { access_token, expires_in } = r.data as { access_token?: string; expires_in?: number };
      if (!access_token) throw new Error('IAM token request failed: no access_token in reply');
      this.cached = { token: access_token, expiresAt: Date.now() + Math.max(0, (expires_in ?? 3600) - 60) * 1000 };
      return access_token;
    } catch (err) {
      const status = axios.isAxiosError(err) ? (err.response?.status ?? err.code) : (err as Error).message;
      throw new Error(`IAM token request failed: ${status}`);
    }
  }
}

/** Reads the secret named by `envName`. @throws Error naming the variable when unset. */
export function secretFromEnv(envName: string, env: Record<string, string | undefined> = process.env): string {
  const v = env[envName];
  if (!v) throw new Error(`${envName}: required (API key of a configured IBM service)`);
  return v;
}
