/**
 * An integration's media security policy, applied to each offer of its calls: whether SRTP
 * (RFC 3711, SDES keys per RFC 4568) is required, allowed or refused; whether SDES keys may
 * travel over a signalling transport other than TLS (RFC 4568 section 8.3: "the SDP ...
 * MUST be protected"; keys sent in clear are worth nothing); and which extra networks may be
 * learned as a call's media source (latching.ts).
 */

/** Per-integration media policy (config: integrations[].media). */
export interface MediaPolicy {
  /** required: plain RTP offers are refused (488); optional: either; off: RTP/SAVP offers are refused. */
  srtp: 'required' | 'optional' | 'off';
  /** Refuse SDES-keyed SRTP unless the INVITE came over TLS. */
  sdesOverTlsOnly: boolean;
  /** IPv4 CIDRs whose media may be learned as a call's source (e.g. the carrier's media ranges). */
  trustedCidrs: readonly string[];
}

/** The policy of calls no integration claims (tests, a bare engine): SRTP when offered, no extra networks. */
export const OPEN_MEDIA_POLICY: MediaPolicy = { srtp: 'optional', sdesOverTlsOnly: false, trustedCidrs: [] };

/**
 * Checks the SRTP choice of an offer against the policy.
 * @param offeredSrtp whether the offer is RTP/SAVP; undefined when there is no offer (we make
 *   one: SRTP exactly when required).
 * @param transport the signalling transport the offer came over.
 * @returns why the offer must get 488, or undefined when it is acceptable.
 */
export function srtpRefusal(policy: MediaPolicy, offeredSrtp: boolean | undefined, transport: 'udp' | 'tcp' | 'tls'): string | undefined {
  const srtp = offeredSrtp ?? policy.srtp === 'required';
  if (srtp && policy.srtp === 'off') return 'SRTP offered but this integration uses plain RTP';
  if (!srtp && policy.srtp === 'required') return 'this integration requires SRTP (RTP/SAVP)';
  if (srtp && policy.sdesOverTlsOnly && transport !== 'tls') return `SDES keys over ${transport}: this integration needs SIP over TLS for SRTP (RFC 4568 section 8)`;
  return undefined;
}
