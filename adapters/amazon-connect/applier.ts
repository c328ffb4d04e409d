/**
 * The Amazon Connect apply step of the outcome function (functions/outcome-function.ts), built
 * from its environment. It holds the SDK client, so the descriptor (vendor.ts) imports it lazily.
 */
import type { LoadApplier } from '../vendor-descriptor.ts';
import { applyOutcome } from './apply.ts';
import { connectApi, createConnectSdkClient } from './client.ts';
import { loadAmazonConnectConfig } from './config.ts';

export const loadApplier: LoadApplier = async (env = process.env) => {
  const config = loadAmazonConnectConfig(env);
  const api = connectApi(createConnectSdkClient(config));
  const agentMessage = { attribute: config.AMAZON_CONNECT_AGENT_MESSAGE_ATTRIBUTE, maxBytes: config.AMAZON_CONNECT_AGENT_MESSAGE_MAX_BYTES };
  const limits = { deadlineMs: config.OUTCOME_DEADLINE_MS, leaseMs: config.FUNCTION_TIMEOUT_MS };
  return { apply: (raw, d) => applyOutcome(raw, { ...d, ...limits, api, agentMessage }) };
};
