/**
 * NICE CXone sandbox: access-key authentication and "Signal a contact".
 *
 * - GET  /.well-known/openid-configuration          issuer and token_endpoint
 * - POST /auth/token                                 password grant: HTTP Basic client id/secret,
 *   form grant_type=password, username=<access key id>, password=<access key secret>;
 *   answers access_token, token_type Bearer, expires_in, id_token (JWT with iss, tenantId)
 * - GET  /.well-known/cxone-configuration?tenantId=  api_endpoint (this sandbox)
 * - POST /inContactAPI/services/v{N}/interactions/{contactId}/signal   Bearer token required
 *   (missing, unknown or expired -> 401); p1..p9 from the query string (or a JSON body);
 *   answers 202. Checking that p1 is reserved is the adapter's job; the sandbox records p1..p9.
 * - GET  /inContactAPI/services/v{N}/contacts/{contactId}   the contact's state as the CXone
 *   script leaves it: `contactState` PreQueue (no signal yet: still in the script),
 *   InQueue (after a transfer signal: Reqagent), EndContact (after p1 "hangup")
 * - fault injection (types.ts FaultRule): a status before signalling, or `afterApply` reset /
 *   hang after the signal was delivered (an ambiguous failure for the adapter)
 * - POST /_sandbox/cxone/expire-tokens               every issued token expires now
 * - GET  /_sandbox/cxone/contacts/{contactId}        the signals received and where the CXone
 *   script would send the caller (p1 "hangup" -> hang up; else Reqagent with the key)
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext, VendorSandbox } from './types.ts';
import type { SandboxCredentials } from './config.ts';
import { afterApplyFault, faultDelay, parseJson, sendJson } from './http.ts';

type CxoneOptions = SandboxCredentials['cxone'];

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Where the CXone script (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-nicecxone) sends the caller after this p1. */
export function scriptBranch(p1: string | undefined): 'hangup' | 'reqagent' | 'none' {
  if (p1 === undefined) return 'none';
  return p1 === 'hangup' ? 'hangup' : 'reqagent';
}

export function createNiceCxoneSandbox(opts: CxoneOptions): VendorSandbox & { expireTokens(): void } {
  const tokens = new Map<string, number>(); // access token -> expiry epoch ms
  const signals = new Map<string, Record<string, string>[]>();

  function token(req: IncomingMessage, res: ServerResponse, body: Buffer, ctx: SandboxContext): void {
    const form = new URLSearchParams(body.toString('utf8'));
    const params = { grant_type: form.get('grant_type'), username: form.get('username') };
    const fail = (status: number, error: string) => {
      ctx.record({ vendor: 'nice_cxone', operation: 'token', params: { ...params, error }, status });
      sendJson(res, status, { error, error_description: error === 'invalid_client' ? 'client authentication failed' : 'access key refused' });
    };
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    const [id, secret] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':') : [];
    if (id !== opts.clientId || secret !== opts.clientSecret) return fail(401, 'invalid_client');
    if (params.grant_type !== 'password') return fail(400, 'unsupported_grant_type');
    if (params.username !== opts.accessKeyId || form.get('password') !== opts.accessKeySecret) return fail(400, 'invalid_grant');
    const now = Date.now();
    const accessToken = randomBytes(24).toString('base64url');
    tokens.set(accessToken, now + opts.tokenLifetimeSeconds * 1000);
    const iat = Math.floor(now / 1000);
    const idToken = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ iss: ctx.baseUrl, aud: opts.clientId, sub: `user:${opts.accessKeyId}`, tenantId: opts.tenantId, iat, exp: iat + opts.tokenLifetimeSeconds })}.${randomBytes(32).toString('base64url')}`;
    ctx.record({ vendor: 'nice_cxone', operation: 'token', params, status: 200 });
    sendJson(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: opts.expiresInSeconds, id_token: idToken, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' });
  }

  async function signal(req: IncomingMessage, res: ServerResponse, url: URL, m: RegExpExecArray, body: Buffer, ctx: SandboxContext): Promise<void> {
    const contactId = decodeURIComponent(m[2]!);
    const p: Record<string, string> = {};
    const json = parseJson(body) as Record<string, unknown> | undefined;
    for (let i = 1; i <= 9; i++) {
      const v = url.searchParams.get(`p${i}`) ?? (json && typeof json[`p${i}`] === 'string' ? (json[`p${i}`] as string) : null);
      if (v !== null) p[`p${i}`] = v;
    }
    const params = { contactId, version: m[1], ...p };
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const exp = bearer ? tokens.get(bearer) : undefined;
    if (exp === undefined || exp <= Date.now()) {
      ctx.record({ vendor: 'nice_cxone', operation: 'signal', params: { ...params, error: exp === undefined ? 'invalid_token' : 'expired_token' }, status: 401 });
      sendJson(res, 401, { error: 'invalid_token', error_description: exp === undefined ? 'token unknown' : 'token expired' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      return;
    }
    const fault = ctx.takeFault('nice_cxone', 'signal');
    if (!fault?.afterApply) await faultDelay(fault);
    if (fault && fault.status) {
      const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
      ctx.record({ vendor: 'nice_cxone', operation: 'signal', params: { ...params, error: 'fault' }, status: fault.status });
      sendJson(res, fault.status, { error: fault.status === 429 ? 'too_many_requests' : 'server_error' }, headers);
      return;
    }
    const list = signals.get(contactId) ?? [];
    list.push(p);
    signals.set(contactId, list);
    ctx.record({ vendor: 'nice_cxone', operation: 'signal', params: fault?.afterApply ? { ...params, fault: `${fault.afterApply}_after_apply` } : params, status: 202 });
    if (await afterApplyFault(res, fault)) return;
    res.writeHead(202).end();
  }

  async function contactState(req: IncomingMessage, res: ServerResponse, contactId: string, ctx: SandboxContext): Promise<void> {
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const exp = bearer ? tokens.get(bearer) : undefined;
    if (exp === undefined || exp <= Date.now()) {
      ctx.record({ vendor: 'nice_cxone', operation: 'contact', params: { contactId, error: 'invalid_token' }, status: 401 });
      sendJson(res, 401, { error: 'invalid_token' });
      return;
    }
    const fault = ctx.takeFault('nice_cxone', 'contact');
    await faultDelay(fault);
    if (fault && fault.status) {
      ctx.record({ vendor: 'nice_cxone', operation: 'contact', params: { contactId, error: 'fault' }, status: fault.status });
      sendJson(res, fault.status, { error: 'server_error' });
      return;
    }
    const last = signals.get(contactId)?.at(-1)?.p1;
    const state = last === undefined ? 'PreQueue' : last === 'hangup' ? 'EndContact' : 'InQueue';
    ctx.record({ vendor: 'nice_cxone', operation: 'contact', params: { contactId, contactState: state }, status: 200 });
    sendJson(res, 200, { contactId, contactState: state });
  }

  const expireTokens = () => {
    for (const k of tokens.keys()) tokens.set(k, 0);
  };

  return {
    vendor: 'nice_cxone',
    expireTokens,
    async handle(req, res, body, ctx) {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const path = url.pathname;
      if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
        ctx.record({ vendor: 'nice_cxone', operation: 'openid-configuration', params: {}, status: 200 });
        sendJson(res, 200, { issuer: ctx.baseUrl, token_endpoint: `${ctx.baseUrl}/auth/token`, grant_types_supported: ['password', 'client_credentials', 'refresh_token'], token_endpoint_auth_methods_supported: ['client_secret_basic'] });
        return true;
      }
      if (req.method === 'POST' && path === '/auth/token') {
        const fault = ctx.takeFault('nice_cxone', 'token');
        await faultDelay(fault);
        if (fault && fault.status) {
          ctx.record({ vendor: 'nice_cxone', operation: 'token', params: { error: 'fault' }, status: fault.status });
          sendJson(res, fault.status, { error: 'server_error' });
        } else token(req, res, body, ctx);
        return true;
      }
      if (req.method === 'GET' && path === '/.well-known/cxone-configuration') {
        const tenantId = url.searchParams.get('tenantId');
        const ok = tenantId === opts.tenantId;
        ctx.record({ vendor: 'nice_cxone', operation: 'cxone-configuration', params: { tenantId }, status: ok ? 200 : 404 });
        if (ok) sendJson(res, 200, { api_endpoint: ctx.baseUrl, ui_endpoint: ctx.baseUrl, auth_endpoint: ctx.baseUrl, tenantId, area: 'sandbox' });
        else sendJson(res, 404, { error: 'tenant not found' });
        return true;
      }
      const m = /^\/inContactAPI\/services\/v(\d+\.\d+)\/interactions\/([^/]+)\/signal$/i.exec(path);
      if (req.method === 'POST' && m) {
        await signal(req, res, url, m, body, ctx);
        return true;
      }
      const contact = /^\/inContactAPI\/services\/v\d+\.\d+\/contacts\/(\d{1,20})$/i.exec(path);
      if (req.method === 'GET' && contact) {
        await contactState(req, res, contact[1]!, ctx);
        return true;
      }
      if (req.method === 'POST' && path === '/_sandbox/cxone/expire-tokens') {
        expireTokens();
        sendJson(res, 200, { expired: tokens.size });
        return true;
      }
      const view = /^\/_sandbox\/cxone\/contacts\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && view) {
        const list = signals.get(decodeURIComponent(view[1]!));
        if (!list) sendJson(res, 404, { message: 'no signals for this contact' });
        else sendJson(res, 200, { contactId: decodeURIComponent(view[1]!), signals: list, branch: scriptBranch(list.at(-1)?.p1) });
        return true;
      }
      return false;
    },
    reset() {
      tokens.clear();
      signals.clear();
    },
  };
}
