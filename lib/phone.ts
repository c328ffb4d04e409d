/**
 * Phone numbers in E.164 (ITU-T E.164: "+", country code, subscriber number, at most 15
 * digits), parsed with libphonenumber-js so that the spaced form the hosted product shows,
 * "+1 958 555 0123", and national forms with a default country are accepted.
 *
 * Possible, not valid: numbers are checked for a possible length in their country
 * (libphonenumber `isPossible`), not against the allocated ranges (`isValid`), because test and
 * fictional numbers such as +1 555 0100 0001 are not allocated but are still dialled in labs.
 */
import { z } from 'zod';
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** Characters a written phone number may contain: digits, a leading "+", visual separators. */
const WRITTEN = /^\+?[\d\s().\-/]+$/;

/** Why a number was refused; `message` is safe to show (it repeats no more than the input). */
export class PhoneNumberError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PhoneNumberError';
  }
}

/** True for an ISO 3166-1 alpha-2 code that libphonenumber knows ("US", "GB", ...). */
export function isCountryCode(c: string): c is CountryCode {
  return /^[A-Z]{2}$/.test(c) && isSupportedCountry(c);
}

/**
 * "+1 958 555 0123" -> "+19585550123".
 * @param text the number as written: "+" and digits with spaces, dots, dashes, parentheses
 * @param defaultCountry ISO 3166-1 alpha-2 code for numbers written without "+"
 * @throws PhoneNumberError when the text has other characters, has no "+" and no default
 *   country is given, or is not a possible number of its country
 */
export function toE164Strict(text: string, defaultCountry?: string): string {
  const t = text.trim();
  if (!t || t.length > 40 || !WRITTEN.test(t)) throw new PhoneNumberError(`"${t.slice(0, 40)}" is not a phone number (digits, a leading +, spaces, dots, dashes, parentheses)`);
  if (!t.startsWith('+') && !defaultCountry) throw new PhoneNumberError(`"${t}" has no country code: write it as +<country code> <number>, or configure a default country`);
  if (defaultCountry && !isCountryCode(defaultCountry)) throw new PhoneNumberError(`default country "${defaultCountry}" is not an ISO 3166-1 alpha-2 code`);
  const p = parsePhoneNumberFromString(t, t.startsWith('+') ? undefined : (defaultCountry as CountryCode));
  if (!p || !p.isPossible() || !/^\+[1-9]\d{1,14}$/.test(p.number)) throw new PhoneNumberError(`"${t}" is not a possible phone number`);
  return p.number;
}

/**
 * The E.164 form of a caller number as SIP delivers it (From user part: "+15551234567",
 * "15551234567", "+1 555 123 4567"), for counting callers. Without "+": parsed with
 * `defaultCountry` when given, else read as digits that start with the country code (what
 * carriers and Twilio put in the From user part).
 * @returns the E.164 form, or undefined for text that is no phone number ("anonymous")
 */
export function callerE164(text: string, defaultCountry?: string): string | undefined {
  const t = text.trim();
  if (!t || t.length > 40 || !WRITTEN.test(t)) return undefined;
  try {
    if (t.startsWith('+')) return toE164Strict(t);
    if (defaultCountry) return toE164Strict(t, defaultCountry);
    return toE164Strict(`+${t.replace(/\D/g, '')}`);
  } catch {
    return undefined;
  }
}

/**
 * E.164: "+", then 2-15 digits, no leading 0 (ITU-T E.164). The written form "+1 958 555 0123"
 * (spaces, dots, dashes) is accepted and normalized.
 */
export const E164 = z.string().transform((v, ctx) => {
  try {
    return toE164Strict(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an E.164 number such as +15550100001 or +1 555 010 0001' });
    return z.NEVER;
  }
});
