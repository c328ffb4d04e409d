/** The integration's `contactCenter` settings for NICE CXone (the media core's config file). */
import { z } from 'zod';

export const NiceCxoneSettings = z.object({
  vendor: z.literal('nice_cxone'),
  /** Lambda function applying outcomes (functions/outcome-function.ts for nice_cxone). */
  functionName: z.string().min(1),
  /**
   * Weaker opt-in mode for scripts that cannot call the mint endpoint: trust X-ContactID
   * without an X-Contact-Token. Anyone who can reach the media core's SIP port with a live
   * contact id can then signal that contact; pair it with a SIP source allowlist.
   */
  trustContactIdHeader: z.boolean().default(false),
});
export type NiceCxoneSettings = z.infer<typeof NiceCxoneSettings>;
