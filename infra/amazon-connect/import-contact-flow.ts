/**
 * Imports the phone integration's flow (contact-flow.json) into an Amazon Connect instance
 * with CreateContactFlow (Type CONTACT_FLOW), or replaces the content of an existing flow
 * with UpdateContactFlowContent (--contact-flow-id).
 *
 *   tsx infra/amazon-connect/import-contact-flow.ts --instance-id <id> \
 *     --voice-connector-arn <arn> --queue-arn <arn> --lambda-arn <contact-flow function arn> \
 *     [--name "Voice assistant"] [--region us-east-1] [--contact-flow-id <id>] [--dry-run]
 *
 * --dry-run prints the request as JSON and does nothing else. The contact-flow Lambda must
 * also be added to the instance (AssociateLambdaFunction / console "Flows > AWS Lambda").
 */
import { parseArgs } from 'node:util';
import { ConnectClient, CreateContactFlowCommand, UpdateContactFlowContentCommand, type CreateContactFlowCommandInput } from '@aws-sdk/client-connect';
import { fillFlow, readFlowTemplate, validateFlow } from './flow.ts';

export interface ImportFlowOptions {
  instanceId: string;
  name: string;
  voiceConnectorArn: string;
  queueArn: string;
  lambdaArn: string;
  contactFlowId?: string;
  template?: string;
}

export type ImportFlowRequest =
  | { operation: 'CreateContactFlow'; input: CreateContactFlowCommandInput }
  | { operation: 'UpdateContactFlowContent'; input: { InstanceId: string; ContactFlowId: string; Content: string } };

/**
 * Builds the request. @throws Error for a missing option or an invalid flow (every problem listed).
 */
export function buildImportRequest(o: ImportFlowOptions): ImportFlowRequest {
  for (const [k, v] of Object.entries({ instanceId: o.instanceId, voiceConnectorArn: o.voiceConnectorArn, queueArn: o.queueArn, lambdaArn: o.lambdaArn })) {
    if (!v) throw new Error(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} is required`);
  }
  if (!/^arn:aws[\w-]*:chime:[\w-]*:\d{12}:vc\/[\w-]+$/.test(o.voiceConnectorArn)) throw new Error('--voice-connector-arn must be arn:aws:chime:<region>:<account>:vc/<id>');
  if (!/^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/.test(o.lambdaArn)) throw new Error('--lambda-arn must be a Lambda function ARN');
  const flow = fillFlow(o.template ?? readFlowTemplate(), { ContactFlowLambdaArn: o.lambdaArn, VoiceConnectorArn: o.voiceConnectorArn, QueueArn: o.queueArn });
  const problems = validateFlow(flow);
  if (problems.length) throw new Error(`invalid flow: ${problems.join('; ')}`);
  const Content = JSON.stringify(flow);
  if (o.contactFlowId) return { operation: 'UpdateContactFlowContent', input: { InstanceId: o.instanceId, ContactFlowId: o.contactFlowId, Content } };
  return {
    operation: 'CreateContactFlow',
    input: { InstanceId: o.instanceId, Name: o.name, Type: 'CONTACT_FLOW', Description: 'Phone integration: voice assistant, then hang up or queue to an agent with the session history key', Content },
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'instance-id': { type: 'string' },
      name: { type: 'string', default: 'Voice assistant' },
      'voice-connector-arn': { type: 'string' },
      'queue-arn': { type: 'string' },
      'lambda-arn': { type: 'string' },
      'contact-flow-id': { type: 'string' },
      region: { type: 'string', default: process.env.AWS_REGION ?? 'us-east-1' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  let req: ImportFlowRequest;
  try {
    req = buildImportRequest({
      instanceId: values['instance-id'] ?? '',
      name: values.name!,
      voiceConnectorArn: values['voice-connector-arn'] ?? '',
      queueArn: values['queue-arn'] ?? '',
      lambdaArn: values['lambda-arn'] ?? '',
      contactFlowId: values['contact-flow-id'],
    });
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (values['dry-run']) {
    console.log(JSON.stringify({ region: values.region, requests: [{ ...req, input: { ...req.input, Content: JSON.parse(req.input.Content!) } }] }, null, 2));
    return 0;
  }
  const client = new ConnectClient({ region: values.region });
  if (req.operation === 'CreateContactFlow') {
    const r = await client.send(new CreateContactFlowCommand(req.input));
    console.log(JSON.stringify({ ContactFlowId: r.ContactFlowId, ContactFlowArn: r.ContactFlowArn }));
  } else {
    await client.send(new UpdateContactFlowContentCommand(req.input));
    console.log(JSON.stringify({ ContactFlowId: req.input.ContactFlowId, updated: true }));
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await main());
