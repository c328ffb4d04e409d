/**
 * Creates (or updates) the Amazon Chime SDK Voice Connector that carries Amazon Connect's
 * "Transfer to phone number" calls to the media core, and sets its origination routes
 * (host, port 5061, TCP, priority 1, weight 5: https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-amazon-connect). One route per media-core host; the
 * Voice Connector accepts at most 10 routes.
 *
 *   tsx infra/amazon-connect/provision-voice-connector.ts --host sip1.example.com \
 *     [--host sip2.example.com:5061 ...] [--name phone-integration] [--region us-east-1] \
 *     [--voice-connector-id <id>] [--port 5061] [--protocol TCP|UDP] [--priority 1] [--weight 5] \
 *     [--no-encryption] [--dry-run]
 *
 * --dry-run prints the requests as JSON and does nothing else.
 */
import { parseArgs } from 'node:util';
import {
  ChimeSDKVoiceClient,
  CreateVoiceConnectorCommand,
  PutVoiceConnectorOriginationCommand,
  UpdateVoiceConnectorCommand,
  type CreateVoiceConnectorCommandInput,
  type PutVoiceConnectorOriginationCommandInput,
  type UpdateVoiceConnectorCommandInput,
} from '@aws-sdk/client-chime-sdk-voice';

/** Most origination routes a Voice Connector accepts. */
export const MAX_ROUTES = 10;
/** Placeholder for the id CreateVoiceConnector will return (dry run). */
export const CREATED_ID = '<VoiceConnectorId from CreateVoiceConnector>';

export interface VoiceConnectorOptions {
  name: string;
  region: string;
  /** "host" or "host:port" per media-core instance. */
  hosts: string[];
  port?: number;
  protocol?: 'TCP' | 'UDP';
  priority?: number;
  weight?: number;
  requireEncryption?: boolean;
  /** Update this Voice Connector instead of creating one. */
  voiceConnectorId?: string;
}

export type VoiceConnectorRequest =
  | { operation: 'CreateVoiceConnector'; input: CreateVoiceConnectorCommandInput }
  | { operation: 'UpdateVoiceConnector'; input: UpdateVoiceConnectorCommandInput }
  | { operation: 'PutVoiceConnectorOrigination'; input: PutVoiceConnectorOriginationCommandInput };

const HOST_RE = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

function intIn(name: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`--${name} must be an integer ${lo}-${hi}, got ${v}`);
  return v;
}

/** Builds the requests in order. @throws Error for a bad option (no host, more than 10, bad port...). */
export function buildVoiceConnectorRequests(o: VoiceConnectorOptions): VoiceConnectorRequest[] {
  if (o.hosts.length === 0) throw new Error('give at least one --host (a media-core SIP host)');
  if (o.hosts.length > MAX_ROUTES) throw new Error(`a Voice Connector takes at most ${MAX_ROUTES} origination routes; got ${o.hosts.length} hosts`);
  if (!o.name || o.name.length > 256) throw new Error('--name must be 1-256 characters');
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(o.region)) throw new Error(`--region looks wrong: ${o.region}`);
  const protocol = o.protocol ?? 'TCP';
  if (protocol !== 'TCP' && protocol !== 'UDP') throw new Error('--protocol must be TCP or UDP');
  const priority = intIn('priority', o.priority ?? 1, 1, 100);
  const weight = intIn('weight', o.weight ?? 5, 1, 100);
  const seen = new Set<string>();
  const Routes = o.hosts.map((h) => {
    const [host, portText] = h.split(':');
    if (!host || !HOST_RE.test(host)) throw new Error(`--host ${h} is not a host name or IPv4 address`);
    const Port = intIn('port', portText ? Number(portText) : (o.port ?? 5061), 1, 65535);
    if (seen.has(`${host}:${Port}`)) throw new Error(`--host ${h} given twice`);
    seen.add(`${host}:${Port}`);
    return { Host: host, Port, Protocol: protocol, Priority: priority, Weight: weight };
  });
  const RequireEncryption = o.requireEncryption ?? true;
  const first: VoiceConnectorRequest = o.voiceConnectorId
    ? { operation: 'UpdateVoiceConnector', input: { VoiceConnectorId: o.voiceConnectorId, Name: o.name, RequireEncryption } }
    : { operation: 'CreateVoiceConnector', input: { Name: o.name, AwsRegion: o.region as CreateVoiceConnectorCommandInput['AwsRegion'], RequireEncryption } };
  return [first, { operation: 'PutVoiceConnectorOrigination', input: { VoiceConnectorId: o.voiceConnectorId ?? CREATED_ID, Origination: { Routes, Disabled: false } } }];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', multiple: true, default: [] },
      name: { type: 'string', default: 'phone-integration' },
      region: { type: 'string', default: process.env.AWS_REGION ?? 'us-east-1' },
      'voice-connector-id': { type: 'string' },
      port: { type: 'string', default: '5061' },
      protocol: { type: 'string', default: 'TCP' },
      priority: { type: 'string', default: '1' },
      weight: { type: 'string', default: '5' },
      'no-encryption': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  let requests: VoiceConnectorRequest[];
  try {
    requests = buildVoiceConnectorRequests({
      name: values.name!,
      region: values.region!,
      hosts: values.host!,
      port: Number(values.port),
      protocol: values.protocol as 'TCP' | 'UDP',
      priority: Number(values.priority),
      weight: Number(values.weight),
      requireEncryption: !values['no-encryption'],
      voiceConnectorId: values['voice-connector-id'],
    });
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (values['dry-run']) {
    console.log(JSON.stringify({ region: values.region, requests }, null, 2));
    return 0;
  }
  const client = new ChimeSDKVoiceClient({ region: values.region });
  let id = values['voice-connector-id'];
  let arn: string | undefined;
  for (const r of requests) {
    if (r.operation === 'CreateVoiceConnector') {
      const out = await client.send(new CreateVoiceConnectorCommand(r.input));
      id = out.VoiceConnector?.VoiceConnectorId;
      arn = out.VoiceConnector?.VoiceConnectorArn;
    } else if (r.operation === 'UpdateVoiceConnector') {
      const out = await client.send(new UpdateVoiceConnectorCommand(r.input));
      arn = out.VoiceConnector?.VoiceConnectorArn;
    } else {
      await client.send(new PutVoiceConnectorOriginationCommand({ ...r.input, VoiceConnectorId: id }));
    }
  }
  console.log(JSON.stringify({ VoiceConnectorId: id, VoiceConnectorArn: arn, routes: requests.at(-1)?.operation === 'PutVoiceConnectorOrigination' ? values.host!.length : 0 }));
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await main());
