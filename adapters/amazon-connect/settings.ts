/** The integration's `contactCenter` settings for Amazon Connect (the media core's config file). */
import { z } from 'zod';

export const AmazonConnectSettings = z.object({
  vendor: z.literal('amazon_connect'),
  /** Lambda function applying outcomes (functions/outcome-function.ts for amazon_connect). */
  functionName: z.string().min(1),
  /**
   * The Connect instance the outcomes go to (the INVITE's User-to-User carries the contact
   * token, not the instance). A flow registration naming another instance is refused.
   */
  instanceArn: z.string().regex(/^arn:aws[\w-]*:connect:[\w-]+:\d{12}:instance\/[\w-]{1,100}$/, 'an Amazon Connect instance ARN').optional(),
  /**
   * Opt-in fallback when the INVITE has no valid contact token: the latest flow registration
   * for (dialed number, caller number) within its TTL. Not authenticated (the From number can
   * be forged) and ambiguous for two calls from one caller to one number; off by default,
   * on only in the local demo. Uses are logged and counted (media_core_contact_identity_total).
   */
  numberMatchFallback: z.boolean().default(false),
});
export type AmazonConnectSettings = z.infer<typeof AmazonConnectSettings>;
