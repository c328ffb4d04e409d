/**
 * Amazon Connect provisioning commands: the Voice Connector requests (IBM's route, at most
 * 10 routes) and the contact flow (placeholders filled, every transition target exists, the
 * documented blocks present; https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-amazon-connect), checked through the --dry-run output of the real commands.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { buildVoiceConnectorRequests, MAX_ROUTES } from '../../infra/amazon-connect/provision-voice-connector.ts';
import { buildImportRequest } from '../../infra/amazon-connect/import-contact-flow.ts';
import { fillFlow, readFlowTemplate, validateFlow, type Flow } from '../../infra/amazon-connect/flow.ts';

const run = (script: string, args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', `infra/amazon-connect/${script}`, ...args], { encoding: 'utf8', timeout: 30_000 });

const ARNS = {
  vc: 'arn:aws:chime:us-east-1:123456789012:vc/abcdefghijklmnop',
  queue: 'arn:aws:connect:us-east-1:123456789012:instance/11111111-2222-3333-4444-555555555555/queue/q-1',
  lambda: 'arn:aws:lambda:us-east-1:123456789012:function:open-phone-integration-dev-amazonConnectContactFlow',
};

describe('provision-voice-connector', () => {
  test('--dry-run prints CreateVoiceConnector and one seed route (5061 TCP priority 1 weight 5) per host', () => {
    const r = run('provision-voice-connector.ts', ['--host', 'sip1.example.com', '--host', 'sip2.example.com', '--dry-run']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { requests: { operation: string; input: Record<string, any> }[] };
    assert.deepEqual(out.requests.map((x) => x.operation), ['CreateVoiceConnector', 'PutVoiceConnectorOrigination']);
    assert.deepEqual(out.requests[0]!.input, { Name: 'phone-integration', AwsRegion: 'us-east-1', RequireEncryption: true });
    assert.deepEqual(out.requests[1]!.input.Origination.Routes, [
      { Host: 'sip1.example.com', Port: 5061, Protocol: 'TCP', Priority: 1, Weight: 5 },
      { Host: 'sip2.example.com', Port: 5061, Protocol: 'TCP', Priority: 1, Weight: 5 },
    ]);
  });

  test('more than 10 hosts is an error (exit 2, nothing printed on stdout)', () => {
    const hosts = Array.from({ length: MAX_ROUTES + 1 }, (_, i) => ['--host', `sip${i}.example.com`]).flat();
    const r = run('provision-voice-connector.ts', [...hosts, '--dry-run']);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /at most 10/);
  });

  test('update mode, bad host, port and weight', () => {
    const reqs = buildVoiceConnectorRequests({ name: 'n', region: 'eu-west-2', hosts: ['10.1.2.3:5080'], voiceConnectorId: 'vc1', requireEncryption: false });
    assert.deepEqual(reqs[0], { operation: 'UpdateVoiceConnector', input: { VoiceConnectorId: 'vc1', Name: 'n', RequireEncryption: false } });
    assert.equal(reqs[1]!.operation === 'PutVoiceConnectorOrigination' && reqs[1]!.input.Origination?.Routes?.[0]?.Port, 5080);
    assert.throws(() => buildVoiceConnectorRequests({ name: 'n', region: 'us-east-1', hosts: [] }), /at least one/);
    assert.throws(() => buildVoiceConnectorRequests({ name: 'n', region: 'us-east-1', hosts: ['bad host'] }), /not a host/);
    assert.throws(() => buildVoiceConnectorRequests({ name: 'n', region: 'us-east-1', hosts: ['h:70000'] }), /port/);
    assert.throws(() => buildVoiceConnectorRequests({ name: 'n', region: 'us-east-1', hosts: ['h'], weight: 0 }), /weight/);
    assert.throws(() => buildVoiceConnectorRequests({ name: 'n', region: 'us-east-1', hosts: ['h', 'h:5061'] }), /twice/);
  });
});

describe('import-contact-flow', () => {
  test('--dry-run prints CreateContactFlow CONTACT_FLOW with a valid flow that follows the documented Amazon Connect setup', () => {
    const r = run('import-contact-flow.ts', ['--instance-id', 'inst-1', '--voice-connector-arn', ARNS.vc, '--queue-arn', ARNS.queue, '--lambda-arn', ARNS.lambda, '--dry-run']);
    assert.equal(r.status, 0, r.stderr);
    const req = (JSON.parse(r.stdout) as { requests: { operation: string; input: { Type: string; InstanceId: string; Content: Flow } }[] }).requests[0]!;
    assert.equal(req.operation, 'CreateContactFlow');
    assert.equal(req.input.Type, 'CONTACT_FLOW');
    assert.equal(req.input.InstanceId, 'inst-1');
    const flow = req.input.Content;
    assert.deepEqual(validateFlow(flow), []);
    const byType = (t: string) => flow.Actions.filter((a) => a.Type === t);
    const transfer = byType('TransferParticipantToThirdParty')[0]!;
    assert.deepEqual(transfer.Parameters.VoiceConnector, {
      VoiceConnectorType: 'ChimeConnector', VoiceConnectorArn: ARNS.vc, ToUser: '$.SystemEndpoint.Address', FromUser: '$.CustomerEndpoint.Address', UserToUserInformation: '$.External.contactToken',
    });
    assert.equal(transfer.Parameters.ThirdPartyConnectionTimeoutSeconds, '60');
    assert.equal(transfer.Parameters.ContinueFlowExecution, 'True');
    const check = flow.Actions.find((a) => a.Identifier === transfer.Transitions.NextAction)!;
    assert.equal(check.Type, 'Compare');
    assert.equal(check.Parameters.ComparisonValue, '$.Attributes.SessionHistoryKey');
    const hang = check.Transitions.Conditions!.find((c) => c.Condition.Operator === 'TextContains' && c.Condition.Operands[0] === 'hangup')!;
    assert.equal(flow.Actions.find((a) => a.Identifier === hang.NextAction)!.Type, 'DisconnectParticipant');
    const set = byType('UpdateContactAttributes')[0]!;
    assert.deepEqual(Object.keys(set.Parameters.Attributes as object).sort(), ['screenPopURL', 'sessionHistoryKey']);
    assert.equal(byType('UpdateContactTargetQueue')[0]!.Parameters.QueueId, ARNS.queue);
    assert.equal(byType('TransferContactToQueue').length, 1);
    assert.ok(byType('InvokeLambdaFunction').every((a) => a.Parameters.LambdaFunctionARN === ARNS.lambda));
    assert.equal(flow.StartAction, byType('InvokeLambdaFunction')[0]!.Identifier, 'the contact is registered before the transfer');
  });

  test('validateFlow finds a dangling transition and a bad identifier; missing options are errors', () => {
    const flow = fillFlow(readFlowTemplate(), { ContactFlowLambdaArn: ARNS.lambda, VoiceConnectorArn: ARNS.vc, QueueArn: ARNS.queue });
    flow.Actions[0]!.Transitions.NextAction = 'nowhere';
    flow.Actions[1]!.Identifier = 'bad/id';
    const problems = validateFlow(flow);
    assert.ok(problems.some((p) => p.includes('"nowhere"')), problems.join());
    assert.ok(problems.some((p) => p.includes('bad/id')), problems.join());
    assert.throws(() => buildImportRequest({ instanceId: 'i', name: 'n', voiceConnectorArn: ARNS.vc, queueArn: '', lambdaArn: ARNS.lambda }), /queue-arn/);
    assert.throws(() => buildImportRequest({ instanceId: 'i', name: 'n', voiceConnectorArn: 'arn:nope', queueArn: ARNS.queue, lambdaArn: ARNS.lambda }), /voice-connector-arn/);
    assert.throws(() => fillFlow('{"a":"{{Other}}"}', { ContactFlowLambdaArn: 'x', VoiceConnectorArn: 'y', QueueArn: 'z' }), /unknown placeholder/);
    const upd = buildImportRequest({ instanceId: 'i', name: 'n', voiceConnectorArn: ARNS.vc, queueArn: ARNS.queue, lambdaArn: ARNS.lambda, contactFlowId: 'cf-1' });
    assert.equal(upd.operation, 'UpdateContactFlowContent');
  });
});
