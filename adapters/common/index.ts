/** Pieces shared by the API-side adapters (Amazon Connect, NICE CXone). */
export { applyOnce, type ApplyOnceOptions, type VendorAttempt } from './apply-once.ts';
export { classifyAwsError, classifyHttpError, parseRetryAfter, rejectionFor, VendorAuthError } from './classify.ts';
export { parseOutcome } from './parse-outcome.ts';
export { rejectedReply, appliedWithoutRequest, invalidOutcomeReply } from './reply.ts';
