/**
 * The Amazon Connect API client (@aws-sdk/client-connect), pointed at AMAZON_CONNECT_ENDPOINT
 * when set (the local sandbox) — an endpoint setting, never a code branch.
 * The SDK's own retries are off (maxAttempts 1): adapters/common/apply-once.ts retries inside
 * the outcome deadline instead, so the deadline holds.
 */
import { ConnectClient, DescribeInstanceCommand, GetContactAttributesCommand, UpdateContactAttributesCommand } from '@aws-sdk/client-connect';
import type { AmazonConnectConfig } from './config.ts';
import type { UpdateContactAttributesRequest } from './translate.ts';

/** What the adapter needs from Connect; tests and benchmarks can pass their own. */
export interface ConnectApi {
  updateContactAttributes(request: UpdateContactAttributesRequest, signal?: AbortSignal): Promise<void>;
  /** @returns the instance status (e.g. ACTIVE). */
  describeInstance(instanceId: string, signal?: AbortSignal): Promise<string | undefined>;
  /** The contact's attributes (GetContactAttributes), to check an ambiguous write. */
  getContactAttributes(instanceId: string, initialContactId: string, signal?: AbortSignal): Promise<Record<string, string>>;
}

/** Creates the SDK client for `config`. */
export function createConnectSdkClient(config: Pick<AmazonConnectConfig, 'AWS_REGION' | 'AMAZON_CONNECT_ENDPOINT'>): ConnectClient {
  return new ConnectClient({ region: config.AWS_REGION, endpoint: config.AMAZON_CONNECT_ENDPOINT, maxAttempts: 1 });
}

/** Wraps an SDK client as {@link ConnectApi}. SDK errors are thrown as is (see common/classify.ts). */
export function connectApi(client: ConnectClient): ConnectApi {
  return {
    async updateContactAttributes(request, signal) {
      await client.send(new UpdateContactAttributesCommand(request), { abortSignal: signal });
    },
    async describeInstance(instanceId, signal) {
      const r = await client.send(new DescribeInstanceCommand({ InstanceId: instanceId }), { abortSignal: signal });
      return r.Instance?.InstanceStatus;
    },
    async getContactAttributes(InstanceId, InitialContactId, signal) {
      const r = await client.send(new GetContactAttributesCommand({ InstanceId, InitialContactId }), { abortSignal: signal });
      return r.Attributes ?? {};
    },
  };
}
