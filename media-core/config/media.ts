/**
 * The media plane's configuration fields (zod), referenced by schema.ts:
 * - `media` at the top level: process-wide RTP settings;
 * - `integrations[].media`: one integration's media security policy
 *   (media-core/media/media-policy.ts).
 */
import { z } from 'zod';
import { cidrList } from '../media/latching.ts';

/** An IPv4 CIDR such as "203.0.113.0/24" (what strict latching and the security groups use). */
const Ipv4Cidr = z.string().refine((c) => {
  try {
    cidrList([c]);
    return true;
  } catch {
    return false;
  }
}, 'must be an IPv4 CIDR such as 203.0.113.0/24');

/** integrations[].media: SRTP policy and the networks whose media may be learned. */
export const IntegrationMediaConfig = z.object({
  /** required: plain RTP offers get 488; optional: either; off: RTP/SAVP offers get 488. */
  srtp: z.enum(['required', 'optional', 'off']).default('optional'),
  /**
   * Refuse SDES-keyed SRTP unless the INVITE came over TLS (RFC 4568 section 8: keys in an
   * SDP sent in clear protect nothing). On by default; the local demo turns it off.
   */
  sdesOverTlsOnly: z.boolean().default(true),
  /** IPv4 CIDRs whose RTP may be learned as a call's source besides the SDP's and the signalling source's IP (e.g. a carrier's media ranges). */
  trustedCidrs: z.array(Ipv4Cidr).max(256).default([]),
});
export type IntegrationMediaConfig = z.infer<typeof IntegrationMediaConfig>;
export const INTEGRATION_MEDIA_DEFAULTS = IntegrationMediaConfig.parse({});

/** Top-level `media`: process-wide RTP settings. */
export const MediaPlaneConfig = z.object({
  /**
   * End a call after this long without RTP, comfort noise or RTCP from the caller, ms
   * (0 = never). A peer on hold is exempt. Default 60 s.
   */
  rtpTimeoutMs: z.number().int().min(0).max(3_600_000).default(60_000),
  /**
   * How long after each SDP (answer, re-INVITE) a new media source may be learned, ms; the
   * window stays open while no media at all has arrived (a caller silent during our greeting).
   */
  learningWindowMs: z.number().int().min(0).max(60_000).default(10_000),
  /**
   * Local development only: accept loopback media destinations (127.0.0.0/8) in SDP. Off in
   * production, where such an SDP is answered 488.
   */
  allowLoopbackMedia: z.boolean().default(false),
});
export type MediaPlaneConfig = z.infer<typeof MediaPlaneConfig>;
export const MEDIA_PLANE_DEFAULTS = MediaPlaneConfig.parse({});
