/**
 * Contact tokens for tests of Amazon Connect and NICE CXone calls: a fake secret generated per
 * run, a verifier that knows it (no store: no binding), and the INVITE headers the Voice
 * Connector (User-to-User, hex) or a CXone script (X-ContactID + X-Contact-Token) would send.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ContactVerifier } from '../../media-core/conversation/contact.ts';
import { mintContactToken } from '../../lib/contact-token.ts';
import { connectTokenVendor } from '../../adapters/amazon-connect/contact-id.ts';
import { cxoneTokenVendor } from '../../adapters/nice-cxone/contact-id.ts';

/** The per-run fake token secret. */
export const CONTACT_TOKEN_SECRET = randomBytes(32).toString('base64url');

/** A verifier of tokens minted with {@link CONTACT_TOKEN_SECRET}. */
export const testContactVerifier = () => new ContactVerifier({ secrets: async () => [CONTACT_TOKEN_SECRET] });

/** An instance ARN in no one's account. */
export const CONNECT_INSTANCE_ARN = 'arn:aws:connect:us-east-1:123456789012:instance/11111111-2222-3333-4444-555555555555';

/** Amazon Connect vendor settings with the instance from configuration. */
export const connectVendor = (functionName = 'acOutcome') => ({ vendor: 'amazon_connect' as const, functionName, instanceArn: CONNECT_INSTANCE_ARN });

/** The User-to-User header carrying a token for `contactId` (a UUID), hex encoded as the Voice Connector sends it. */
export const connectInviteHeaders = (contactId: string = randomUUID()) => [
  { name: 'User-to-User', value: `${Buffer.from(mintContactToken({ vendor: connectTokenVendor, contactId, secret: CONTACT_TOKEN_SECRET }).token).toString('hex')};encoding=hex` },
];

/** X-ContactID (digits) and X-Contact-Token, as a CXone script passes them. */
export const cxoneInviteHeaders = (contactId = '987654') => [
  { name: 'X-ContactID', value: contactId },
  { name: 'X-Contact-Token', value: mintContactToken({ vendor: cxoneTokenVendor, contactId, secret: CONTACT_TOKEN_SECRET }).token },
];
