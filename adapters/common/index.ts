/** Pieces shared by the API-side adapters (Amazon Connect, NICE CXone). */
export { applyApiOutcome, type ApplyDeps, type VendorApply, type Translation } from './apply-api-outcome.ts';
export { applyOnce, type ApplyOnceOptions, type VendorAttempt } from './apply-once.ts';
export { classifyAwsError, classifyHttpError, isAmbiguousFailure, parseRetryAfter, rejectionFor, VendorAuthError } from './classify.ts';
export { parseOutcome } from './parse-outcome.ts';
export { rejectedReply, appliedWithoutRequest, invalidOutcomeReply } from './reply.ts';
