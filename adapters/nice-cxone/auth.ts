/**
 * NICE CXone access-key authentication (developer.niceincontact.com, "Authentication"):
 *
 * 1. GET {issuer}/.well-known/openid-configuration -> token_endpoint
 * 2. POST token_endpoint, form grant_type=password&username=<access key id>&password=<secret>,
 *    HTTP Basic with the application's client id/secret -> access_token, expires_in, id_token
 * 3. iss and tenantId from the id_token payload
 * 4. GET {iss}/.well-known/cxone-configuration?tenantId=... -> api_endpoint
 *
 * The id_token is decoded, not verified: it comes straight from the token endpoint we
 * discovered over TLS in the same exchange, we only use it to locate the API, and the API
 * itself validates the access token on every call. A forged iss could only send our own
 * bearer token to a host that already served us the discovery document.
 *
 * The token is cached until shortly before expires_in (margin: 60 s, or a tenth of the
 * lifetime for short-lived tokens); concurrent callers share one token request.
 */
import { isAxiosError, type AxiosInstance } from 'axios';
import { VendorAuthError } from '../common/classify.ts';

export interface CxoneAuthOptions {
  issuerUrl: string;
  clientId: string;
  /** The client secret, or a loader of it (SSM SecureString in AWS). */
  clientSecret: string | (() => Promise<string>);
  accessKeyId: string;
  accessKeySecret: () => Promise<string>;
  http: AxiosInstance;
  now?: () => number;
}

/** A usable session: bearer token plus the tenant's API base URL. */
export interface CxoneSession {
  accessToken: string;
  apiEndpoint: string;
  /** Epoch ms after which the cache will fetch a new token. */
  refreshAt: number;
}

/** Payload of a JWT, decoded without signature verification (see the file comment). */
export function decodeJwtPayload(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1];
  if (!part) throw new Error('id_token is not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Token and endpoint discovery with a cache; one instance per process. */
export class CxoneAuth {
  #session?: CxoneSession;
  #pending?: Promise<CxoneSession>;
  #tokenEndpoint?: string;
  #apiEndpoints = new Map<string, string>();
  /** Token requests made (for tests and logs). */
  tokenRequests = 0;

  constructor(private readonly o: CxoneAuthOptions) {}

  /** A cached session, or a new one when none or about to expire. */
  async session(signal?: AbortSignal): Promise<CxoneSession> {
    const now = (this.o.now ?? Date.now)();
    if (this.#session && now < this.#session.refreshAt) return this.#session;
    this.#pending ??= this.#fetch(signal).finally(() => (this.#pending = undefined));
    this.#session = await this.#pending;
    return this.#session;
  }

  /** Drops `accessToken` from the cache (the API answered 401 with it). */
  invalidate(accessToken: string): void {
    if (this.#session?.accessToken === accessToken) this.#session = undefined;
  }

  async #fetch(signal?: AbortSignal): Promise<CxoneSession> {
    const { http } = this.o;
    if (!this.#tokenEndpoint) {
      const issuer = this.o.issuerUrl.replace(/\/+$/, '');
      const d = await http.get<{ token_endpoint?: string }>(`${issuer}/.well-known/openid-configuration`, { signal });
      if (!d.data?.token_endpoint) throw new Error('openid-configuration has no token_endpoint');
      this.#tokenEndpoint = d.data.token_endpoint;
    }
    const form = new URLSearchParams({ grant_type: 'password', username: this.o.accessKeyId, password: await this.o.accessKeySecret() });
    this.tokenRequests++;
    const started = (this.o.now ?? Date.now)();
    const t = await http
      .post<{ access_token?: string; expires_in?: number; id_token?: string }>(this.#tokenEndpoint, form.toString(), {
        signal,
        auth: { username: this.o.clientId, password: typeof this.o.clientSecret === 'string' ? this.o.clientSecret : await this.o.clientSecret() },
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      })
      .catch((err: unknown) => {
        // OAuth 2.0 (RFC 6749 section 5.2): 400 invalid_grant / 401 invalid_client = credentials refused.
        const status = isAxiosError(err) ? err.response?.status : undefined;
        if (status === 400 || status === 401) {
          const code = (err as { response?: { data?: { error?: string } } }).response?.data?.error ?? 'refused';
          throw new VendorAuthError(`CXone token endpoint refused the access key or client credentials (HTTP ${status} ${String(code).slice(0, 40)})`);
        }
        throw err;
      });
    const { access_token, expires_in, id_token } = t.data ?? {};
    if (!access_token || !id_token) throw new Error('token response lacks access_token or id_token');
    const claims = decodeJwtPayload(id_token);
    const iss = String(claims.iss ?? '').replace(/\/+$/, '');
    const tenantId = String(claims.tenantId ?? claims.tenant_id ?? '');
    if (!iss || !tenantId) throw new Error('id_token lacks iss or tenantId');
    const cacheKey = `${iss}|${tenantId}`;
    let apiEndpoint = this.#apiEndpoints.get(cacheKey);
    if (!apiEndpoint) {
      const c = await http.get<{ api_endpoint?: string }>(`${iss}/.well-known/cxone-configuration`, { params: { tenantId }, signal });
      if (!c.data?.api_endpoint) throw new Error('cxone-configuration has no api_endpoint');
      apiEndpoint = c.data.api_endpoint.replace(/\/+$/, '');
      this.#apiEndpoints.set(cacheKey, apiEndpoint);
    }
    const lifetimeMs = (Number(expires_in) > 0 ? Number(expires_in) : 3600) * 1000;
    return { accessToken: access_token, apiEndpoint, refreshAt: started + lifetimeMs - Math.min(60_000, lifetimeMs / 10) };
  }
}
