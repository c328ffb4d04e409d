/**
 * NICE CXone API client (axios): signal a contact, with the access-key session of auth.ts.
 * A 401 drops the cached token, fetches a new one and repeats the request once; a second 401
 * is thrown (auth_failed). Other errors are thrown for adapters/common/classify.ts.
 */
import axios, { isAxiosError, type AxiosInstance } from 'axios';
import { CxoneAuth } from './auth.ts';
import { accessKeySecretLoader, clientSecretLoader, type NiceCxoneConfig } from './config.ts';
import type { SignalParams } from './translate.ts';
import { VendorAuthError } from '../common/classify.ts';

/** What the adapter needs from CXone; tests and benchmarks can pass their own. */
export interface CxoneApi {
  /** POST .../interactions/{contactId}/signal?p1=..; resolves on any 2xx. */
  signal(contactId: string, params: SignalParams, signal?: AbortSignal): Promise<void>;
  /** Obtains a token (the "Test connection" read). */
  checkToken(signal?: AbortSignal): Promise<void>;
  /**
   * The contact's state (GET .../contacts/{contactId}: `contactState`, e.g. PreQueue, InQueue,
   * Active, EndContact), to check an ambiguous signal; undefined when the API does not say.
   */
  contactState?(contactId: string, signal?: AbortSignal): Promise<string | undefined>;
}

/** The contact details URL (developer.niceincontact.com, Reporting API "contact details"; an unconfirmed path). */
export function contactUrl(apiEndpoint: string, apiVersion: string, contactId: string): string {
  return `${apiEndpoint}/inContactAPI/services/v${apiVersion}/contacts/${encodeURIComponent(contactId)}`;
}

/** The signal URL for an API base, version (e.g. "31.0") and contact id. */
export function signalUrl(apiEndpoint: string, apiVersion: string, contactId: string): string {
  return `${apiEndpoint}/inContactAPI/services/v${apiVersion}/interactions/${encodeURIComponent(contactId)}/signal`;
}

/** Creates the API for `config`; `http` defaults to a fresh axios instance. */
export function createCxoneApi(config: NiceCxoneConfig, http: AxiosInstance = axios.create()): CxoneApi & { auth: CxoneAuth } {
  const auth = new CxoneAuth({
    issuerUrl: config.CXONE_ISSUER_URL,
    clientId: config.CXONE_CLIENT_ID,
    clientSecret: clientSecretLoader(config),
    accessKeyId: config.CXONE_ACCESS_KEY_ID,
    accessKeySecret: accessKeySecretLoader(config),
    http,
  });
  const post = async (contactId: string, params: SignalParams, signal?: AbortSignal) => {
    const s = await auth.session(signal);
    try {
      await http.post(signalUrl(s.apiEndpoint, config.CXONE_API_VERSION, contactId), null, {
        params,
        signal,
        headers: { authorization: `Bearer ${s.accessToken}`, accept: 'application/json' },
      });
      return 'ok' as const;
    } catch (err) {
      if (isAxiosError(err) && err.response?.status === 401) {
        auth.invalidate(s.accessToken);
        return 'unauthorized' as const;
      }
      throw err;
    }
  };
  return {
    auth,
    async signal(contactId, params, signal) {
      if ((await post(contactId, params, signal)) === 'ok') return;
      // Refresh once: the cached token expired early or was revoked.
      const again = await post(contactId, params, signal);
      if (again !== 'ok') throw new VendorAuthError('CXone answered 401 with a freshly obtained token');
    },
    async checkToken(signal) {
      await auth.session(signal);
    },
    async contactState(contactId, signal) {
      for (let i = 0; i < 2; i++) {
        const s = await auth.session(signal);
        try {
          const r = await http.get<{ contactState?: unknown; state?: unknown }>(contactUrl(s.apiEndpoint, config.CXONE_API_VERSION, contactId), {
            signal,
            headers: { authorization: `Bearer ${s.accessToken}`, accept: 'application/json' },
          });
          const state = r.data?.contactState ?? r.data?.state;
          return typeof state === 'string' ? state : undefined;
        } catch (err) {
          // Same refresh-once rule as the signal: the cached token expired early or was revoked.
          if (i === 0 && isAxiosError(err) && err.response?.status === 401) auth.invalidate(s.accessToken);
          else throw err;
        }
      }
      throw new VendorAuthError('CXone answered 401 with a freshly obtained token');
    },
  };
}
