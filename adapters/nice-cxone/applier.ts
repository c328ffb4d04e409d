/**
 * The NICE CXone apply step of the outcome function (functions/outcome-function.ts), built
 * from its environment. It holds the API client, so the descriptor (vendor.ts) imports it lazily.
 */
import type { LoadApplier } from '../vendor-descriptor.ts';
import { applyOutcome } from './apply.ts';
import { createCxoneApi } from './client.ts';
import { loadNiceCxoneConfig } from './config.ts';

export const loadApplier: LoadApplier = async (env = process.env) => {
  const config = loadNiceCxoneConfig(env);
  // One API (and its token cache) per warm function: tokens are reused until shortly before they expire.
  const api = createCxoneApi(config);
  const params = { agentMessageParam: config.CXONE_AGENT_MESSAGE_PARAM, customDataParams: config.CXONE_CUSTOM_DATA_PARAMS, agentMessageMaxChars: config.CXONE_AGENT_MESSAGE_MAX_CHARS };
  const limits = { deadlineMs: config.OUTCOME_DEADLINE_MS, leaseMs: config.FUNCTION_TIMEOUT_MS };
  return { apply: (raw, d) => applyOutcome(raw, { ...d, ...limits, api, params }) };
};
