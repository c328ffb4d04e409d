/**
 * SIP session timers, UAS side (RFC 4028): a dialog whose INVITE carries Session-Expires, or
 * whose caller supports "timer", is kept alive by periodic refreshes (re-INVITE or UPDATE).
 * The refresher sends one every half interval; the other side ends the session with BYE when
 * no refresh came by the expiry minus min(32 s, interval / 3) (section 10). Carriers use this
 * to find dead calls at the SIP level, so a vanished peer does not hold a call slot.
 */
import { getHeader, getHeaderValues, type SipRequest } from '../sip/message.ts';

/** Our Min-SE (RFC 4028 section 4: at least 90 s), seconds. */
export const MIN_SE_S = 90;
/** Interval we propose when the caller supports timers but asked for none (section 9: 1800 recommended), seconds. */
export const DEFAULT_SE_S = 1800;

/** The negotiated timer of a dialog. */
export interface SessionTimer {
  /** Session interval, seconds. */
  intervalS: number;
  /** Who refreshes: the caller (uac) or us (uas). */
  refresher: 'uac' | 'uas';
  /** The caller supports timers: our 2xx carries Require: timer (section 9). */
  require: boolean;
}

/**
 * Decides the session timer for an INVITE (initial or refresh) per RFC 4028 section 9.
 * @param minSeS our Min-SE, seconds.
 * @returns the timer; `{ tooSmall: minSe }` for 422 (Session Interval Too Small, with Min-SE);
 *   undefined when neither side asked for one.
 */
export function negotiateSessionTimer(req: SipRequest, minSeS = MIN_SE_S): SessionTimer | { tooSmall: number } | undefined {
  const supported = [...getHeaderValues(req, 'supported'), ...getHeaderValues(req, 'require')].some((t) => t.trim().toLowerCase() === 'timer');
  const se = getHeader(req, 'session-expires');
  const peerAllowsUpdate = getHeaderValues(req, 'allow').some((m) => m.trim().toUpperCase() === 'UPDATE');
  if (se === undefined) {
    return supported ? { intervalS: Math.max(DEFAULT_SE_S, minSeS), refresher: 'uac', require: true } : undefined;
  }
  const m = /^\s*(\d{1,10})\s*(?:;(.*))?$/.exec(se);
  if (!m) return undefined; // malformed: no timer rather than a broken dialog
  const intervalS = Number(m[1]);
  if (intervalS < minSeS) return { tooSmall: minSeS };
  const asked = /(?:^|;)\s*refresher\s*=\s*(uac|uas)\s*(?:;|$)/i.exec(m[2] ?? '')?.[1]?.toLowerCase() as 'uac' | 'uas' | undefined;
  // A caller without timer support cannot refresh (section 9): we do, by UPDATE, when it allows UPDATE.
  if (!supported) return peerAllowsUpdate ? { intervalS, refresher: 'uas', require: false } : undefined;
  return { intervalS, refresher: asked ?? 'uac', require: true };
}

/** The headers of a 2xx that carries the timer (section 9), and of our refreshing UPDATE. */
export function sessionTimerHeaders(t: SessionTimer): Array<{ name: string; value: string }> {
  return [
    { name: 'Session-Expires', value: `${t.intervalS};refresher=${t.refresher}` },
    ...(t.require ? [{ name: 'Require', value: 'timer' }] : []),
  ];
}

/**
 * When to act after a refresh, ms: the refresher refreshes at half the interval; the other
 * side sends BYE at the expiry minus min(32 s, interval / 3) (section 10).
 * @param unitMs ms per second of interval (1000; tests shrink it).
 */
export function sessionTimerDelayMs(t: SessionTimer, unitMs = 1000): number {
  return t.refresher === 'uas' ? (t.intervalS / 2) * unitMs : (t.intervalS - Math.min(32, t.intervalS / 3)) * unitMs;
}
