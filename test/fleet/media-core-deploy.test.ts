/**
 * The media core in the same deployment (issue 13 item 1): `serverless package` (offline, no
 * credentials) writes the media core's resources into the stack's template; this test reads
 * the template and checks the security group rules against the allowlists, the instance
 * role's permissions, and the container settings. The generator's prefix-list path (rules
 * beyond a group's limit) is checked directly on infra/media-core/resources.cjs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../dev/repo-root.ts';

type Resource = { Type: string; Condition?: string; Properties: Record<string, any> };
type Template = { Resources: Record<string, Resource>; Parameters: Record<string, any>; Conditions: Record<string, unknown>; Outputs: Record<string, any> };
interface Generator {
  mediaCoreResources(o: { allowlistsFile: string; service: string; stage: string; env?: Record<string, string>; maxRules?: number; maxGroups?: number }): Template;
  ITEM_FAMILIES: string[];
  MAX_RULES_PER_GROUP: number;
}
const generator = createRequire(import.meta.url)(join(REPO_ROOT, 'infra/media-core/resources.cjs')) as Generator;
const allowlists = JSON.parse(readFileSync(join(REPO_ROOT, 'infra/media-core/allowlists.json'), 'utf8')) as {
  rtpPortMin: number;
  rtpPortMax: number;
  integrations: Record<string, { signalling: string[]; media: string[] }>;
};

const out = mkdtempSync(join(tmpdir(), 'sls-media-core-'));
let template: Template;

before(async () => {
  await promisify(execFile)(join(REPO_ROOT, 'node_modules', '.bin', 'serverless'), ['package', '--package', out], {
    cwd: REPO_ROOT,
    timeout: 90_000,
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none-offline-test', SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
  });
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
});
after(() => rmSync(out, { recursive: true, force: true }));

const mediaCore = () => Object.entries(template.Resources).filter(([name]) => name.startsWith('MediaCore'));
/** Every Ref / Fn::GetAtt target in a value, and every ${Name} of Fn::Sub strings. */
function references(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => references(v, found));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' && typeof v === 'string') found.add(v);
      else if (k === 'Fn::GetAtt') found.add((v as string[])[0]!);
      else if (k === 'Fn::Sub' && typeof v === 'string') for (const m of v.matchAll(/\$\{([A-Za-z0-9]+)(?:\.\w+)?\}/g)) found.add(m[1]!);
      else if (k === 'Fn::Sub' && Array.isArray(v)) {
        // [template, variables]: names defined in the map are local, not template references.
        const [text, vars] = v as [string, Record<string, unknown>];
        for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.\w+)?\}/g)) if (!(m[1]! in vars)) found.add(m[1]!);
        references(vars, found);
      }
      else references(v, found);
    }
  }
  return found;
}

describe('serverless package: the media core in the same stack', { timeout: 120_000 }, () => {
  test('an Auto Scaling group of hosts, every resource conditional on MediaCoreVpcId, every reference resolvable', () => {
    const types = mediaCore().map(([, r]) => r.Type);
    for (const t of ['AWS::AutoScaling::AutoScalingGroup', 'AWS::EC2::LaunchTemplate', 'AWS::EC2::SecurityGroup', 'AWS::IAM::Role', 'AWS::IAM::InstanceProfile', 'AWS::Logs::LogGroup']) assert.ok(types.includes(t), t);
    for (const [name, r] of mediaCore()) assert.equal(r.Condition, 'MediaCoreEnabled', name);
    assert.deepEqual(template.Conditions.MediaCoreEnabled, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'MediaCoreVpcId' }, ''] }] });
    for (const p of ['MediaCoreVpcId', 'MediaCoreSubnetIds', 'MediaCoreInstanceType', 'MediaCoreImageUri', 'MediaCoreDesiredCount']) assert.ok(template.Parameters[p], `deploy parameter ${p}`);
    const known = new Set([...Object.keys(template.Resources), ...Object.keys(template.Parameters), 'AWS::Region', 'AWS::AccountId', 'AWS::StackName']);
    for (const [name, r] of mediaCore()) for (const ref of references(r)) assert.ok(known.has(ref), `${name} refers to ${ref}, which the template lacks`);
  });

  test('security group rules: SIP from the signalling allowlists, RTP from the media allowlists, nothing else', () => {
    const rules = mediaCore()
      .filter(([, r]) => r.Type === 'AWS::EC2::SecurityGroup')
      .flatMap(([, r]) => r.Properties.SecurityGroupIngress as { IpProtocol: string; FromPort: number; ToPort: number; CidrIp: string }[]);
    const signalling = new Set(Object.values(allowlists.integrations).flatMap((i) => i.signalling));
    const media = new Set(Object.values(allowlists.integrations).flatMap((i) => i.media));
    const expected = [
      ...[...signalling].flatMap((c) => [`udp 5060-5060 ${c}`, `tcp 5060-5061 ${c}`]),
      ...[...media].map((c) => `udp ${allowlists.rtpPortMin}-${allowlists.rtpPortMax} ${c}`),
    ].sort();
    assert.deepEqual(rules.map((r) => `${r.IpProtocol} ${r.FromPort}-${r.ToPort} ${r.CidrIp}`).sort(), expected);
    assert.ok(!rules.some((r) => r.CidrIp === '0.0.0.0/0'), 'nothing open to the world');
    const group = mediaCore().find(([, r]) => r.Type === 'AWS::EC2::SecurityGroup')![1];
    assert.deepEqual(group.Properties.VpcId, { Ref: 'MediaCoreVpcId' });
  });

  test('the instance role: outcome functions, its item families, its SSM parameters, its logs; nothing broader', () => {
    const role = template.Resources.MediaCoreInstanceRole!;
    assert.equal(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service, 'ec2.amazonaws.com');
    assert.equal(role.Properties.ManagedPolicyArns, undefined, 'no managed policies');
    const statements = role.Properties.Policies.flatMap((p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement) as {
      Sid: string;
      Effect: string;
      Action: string[];
      Resource: unknown;
      Condition?: Record<string, Record<string, string[]>>;
    }[];
    for (const s of statements) {
      assert.equal(s.Effect, 'Allow');
      assert.ok(s.Action.every((a) => !a.includes('*')), `${s.Sid}: no wildcard actions (${s.Action})`);
      if (s.Resource === '*') assert.deepEqual(s.Action, ['ecr:GetAuthorizationToken'], `${s.Sid}: only the registry token is account-wide`);
    }
    const byAction = (prefix: string) => statements.filter((s) => s.Action.some((a) => a.startsWith(prefix)));
    const lambda = byAction('lambda:');
    assert.equal(lambda.length, 1);
    assert.deepEqual(lambda[0]!.Action, ['lambda:InvokeFunction']);
    assert.deepEqual(lambda[0]!.Resource, [{ 'Fn::GetAtt': ['AmazonConnectOutcomeLambdaFunction', 'Arn'] }, { 'Fn::GetAtt': ['NiceCxoneOutcomeLambdaFunction', 'Arn'] }]);
    for (const [, fn] of [['', 'AmazonConnectOutcomeLambdaFunction'], ['', 'NiceCxoneOutcomeLambdaFunction']]) assert.equal(template.Resources[fn!]!.Type, 'AWS::Lambda::Function');
    const dynamo = byAction('dynamodb:');
    assert.equal(dynamo.length, 1);
    assert.deepEqual(dynamo[0]!.Resource, { 'Fn::GetAtt': ['StateTable', 'Arn'] });
    assert.deepEqual(dynamo[0]!.Condition, { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['session#*', 'mau#*', 'contact#*', 'fleet#*'] } });
    assert.ok(!dynamo[0]!.Action.some((a) => /Scan|Delete|Batch|Table/.test(a)), `${dynamo[0]!.Action}`);
    const ssm = byAction('ssm:');
    assert.equal(ssm.length, 1);
    assert.deepEqual(ssm[0]!.Resource, { 'Fn::Sub': 'arn:aws:ssm:${AWS::Region}:${AWS::AccountId}:parameter/open-phone-integration/dev/media-core/*' });
    assert.deepEqual(byAction('logs:')[0]!.Resource, { 'Fn::GetAtt': ['MediaCoreLogGroup', 'Arn'] });
    assert.deepEqual(byAction('autoscaling:')[0]!.Resource, { 'Fn::Sub': 'arn:aws:autoscaling:${AWS::Region}:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/open-phone-integration-dev-media-core' });
    const pull = statements.find((s) => s.Sid === 'PullImage')!;
    assert.deepEqual(pull.Resource, {
      'Fn::Sub': [
        'arn:aws:ecr:${AWS::Region}:${AWS::AccountId}:repository/${Repository}',
        { Repository: { 'Fn::Select': [0, { 'Fn::Split': [':', { 'Fn::Select': [1, { 'Fn::Split': ['/', { Ref: 'MediaCoreImageUri' }] }] }] }] } },
      ],
    }, 'only the image\'s own repository');
    const covered = new Set(statements.flatMap((s) => s.Action.map((a) => a.split(':')[0])));
    assert.deepEqual([...covered].sort(), ['autoscaling', 'dynamodb', 'ecr', 'lambda', 'logs', 'ssm']);
  });

  test('container settings: the image with host networking, SIP/TLS/RTP ports, public address by IMDSv2, CloudWatch logs, drain on scale-in', () => {
    const lt = template.Resources.MediaCoreLaunchTemplate!.Properties.LaunchTemplateData;
    assert.equal(lt.MetadataOptions.HttpTokens, 'required', 'IMDSv2 only');
    assert.equal(lt.NetworkInterfaces[0].AssociatePublicIpAddress, true);
    assert.deepEqual(lt.NetworkInterfaces[0].Groups, mediaCore().filter(([, r]) => r.Type === 'AWS::EC2::SecurityGroup').map(([n]) => ({ Ref: n })));
    assert.deepEqual(lt.InstanceType, { Ref: 'MediaCoreInstanceType' });
    const script = lt.UserData['Fn::Base64']['Fn::Sub'] as string;
    const run = script.slice(script.indexOf('docker run'), script.indexOf('"$IMAGE"', script.indexOf('docker run')));
    for (const flag of [
      '--network host',
      '--ulimit rtprio=10',
      '--log-driver awslogs',
      'awslogs-group=${MediaCoreLogGroup}',
      '-e SIP_HOST=0.0.0.0',
      '-e SIP_PORT=5060',
      '-e SIP_PUBLIC_HOST="$PUBLIC_HOST"',
      '-e SIP_TLS_PORT=5061',
      '-e SIP_TLS_CERT_FILE=/etc/media-core/tls/cert.pem',
      `-e RTP_PORT_MIN=${allowlists.rtpPortMin} -e RTP_PORT_MAX=${allowlists.rtpPortMax}`,
      '-e STATE_TABLE=${StateTable}',
      '-e FLEET_LIMIT=${MediaCoreFleetLimit}',
      '-e MAX_CALLS=headroom',
      '-v /etc/media-core:/etc/media-core:ro',
    ]) assert.ok(run.includes(flag), `docker run has ${flag}`);
    assert.match(script, /IMAGE='\$\{MediaCoreImageUri\}'/);
    assert.match(script, /PUBLIC_HOST='\$\{MediaCoreSipPublicHost\}'\nif \[ -z "\$PUBLIC_HOST" \]; then PUBLIC_HOST=\$\(imds public-ipv4\); fi/);
    assert.match(script, /X-aws-ec2-metadata-token-ttl-seconds/, 'IMDSv2 token first');
    assert.match(script, /param \/open-phone-integration\/dev\/media-core\/tls-key/);
    assert.match(script, /autoscaling\/target-lifecycle-state/);
    assert.ok(script.indexOf('docker kill --signal SIGTERM media-core') < script.indexOf('complete-lifecycle-action'), 'drain, then let the group terminate');
    const asg = template.Resources.MediaCoreAutoScalingGroup!.Properties;
    assert.deepEqual(asg.DesiredCapacity, { Ref: 'MediaCoreDesiredCount' });
    assert.deepEqual(asg.VPCZoneIdentifier, { Ref: 'MediaCoreSubnetIds' });
    assert.equal(asg.AutoScalingGroupName, 'open-phone-integration-dev-media-core');
    assert.deepEqual(asg.LifecycleHookSpecificationList, [{ LifecycleHookName: 'drain', LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', HeartbeatTimeout: 600, DefaultResult: 'CONTINUE' }]);
    assert.equal(template.Resources.MediaCoreLogGroup!.Properties.LogGroupName, '/open-phone-integration/dev/media-core');
  });
});

describe('security groups beyond a group limit', () => {
  const cidrs = (n: number, base: number) => Array.from({ length: n }, (_, i) => `10.${base}.${i}.0/24`);
  function generate(integrations: Record<string, { signalling: string[]; media: string[] }>, opts: { maxRules?: number; maxGroups?: number } = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'allowlists-'));
    try {
      const file = join(dir, 'allowlists.json');
      writeFileSync(file, JSON.stringify({ rtpPortMin: 20000, rtpPortMax: 29999, integrations }));
      return generator.mediaCoreResources({ allowlistsFile: file, service: 'svc', stage: 'prod', env: {}, ...opts });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test('more rules than a group takes: managed prefix lists, and no group counts more than the limit', () => {
    const t = generate({ trunk: { signalling: cidrs(40, 1), media: cidrs(70, 2) } });
    const lists = Object.entries(t.Resources).filter(([, r]) => r.Type === 'AWS::EC2::PrefixList');
    const groups = Object.entries(t.Resources).filter(([, r]) => r.Type === 'AWS::EC2::SecurityGroup');
    const entries = (kind: string) => lists.filter(([n]) => n.startsWith(`MediaCore${kind}PrefixList`)).flatMap(([, r]) => r.Properties.Entries.map((e: { Cidr: string }) => e.Cidr));
    assert.deepEqual(entries('Signalling').sort(), cidrs(40, 1).sort());
    assert.deepEqual(entries('Media').sort(), cidrs(70, 2).sort());
    for (const [, r] of lists) assert.equal(r.Properties.MaxEntries, r.Properties.Entries.length);
    const maxEntries = new Map(lists.map(([n, r]) => [n, r.Properties.MaxEntries as number]));
    for (const [name, g] of groups) {
      const weight = (g.Properties.SecurityGroupIngress as { SourcePrefixListId: { Ref: string } }[]).reduce((n, rule) => n + maxEntries.get(rule.SourcePrefixListId.Ref)!, 0);
      assert.ok(weight <= generator.MAX_RULES_PER_GROUP, `${name} counts ${weight} rules`);
    }
    const ports = groups.flatMap(([, g]) => g.Properties.SecurityGroupIngress.map((r: { IpProtocol: string; FromPort: number; ToPort: number }) => `${r.IpProtocol} ${r.FromPort}-${r.ToPort}`));
    assert.deepEqual([...new Set(ports)].sort(), ['tcp 5060-5061', 'udp 20000-29999', 'udp 5060-5060']);
    assert.ok(groups.length <= 5, `${groups.length} groups fit one network interface`);
    const lt = t.Resources.MediaCoreLaunchTemplate!.Properties.LaunchTemplateData;
    assert.equal(lt.NetworkInterfaces[0].Groups.length, groups.length);
  });

  test('more groups than a network interface takes, or a bad CIDR: a clear error at package time', () => {
    assert.throws(() => generate({ trunk: { signalling: cidrs(200, 1), media: cidrs(200, 2) } }), /security groups .* network interface takes 5/);
    assert.throws(() => generate({ trunk: { signalling: ['10.0.0.0/33'], media: [] } }), /integrations\.trunk\.signalling: "10\.0\.0\.0\/33" is not an IPv4 CIDR/);
    assert.throws(() => generate({ trunk: { signalling: ['0.0.0.0/0 '], media: [] } }), /not an IPv4 CIDR/);
  });

  test('deploy parameters default from MEDIA_CORE_* at package time', () => {
    const t = generator.mediaCoreResources({
      allowlistsFile: join(REPO_ROOT, 'infra/media-core/allowlists.json'),
      service: 'svc',
      stage: 'prod',
      env: { MEDIA_CORE_VPC_ID: 'vpc-0123', MEDIA_CORE_SUBNET_IDS: 'subnet-a,subnet-b', MEDIA_CORE_IMAGE_URI: '000000000000.dkr.ecr.us-east-1.amazonaws.com/media-core:1', MEDIA_CORE_DESIRED_COUNT: '3', MEDIA_CORE_INSTANCE_TYPE: 'c6i.xlarge' },
    });
    assert.equal(t.Parameters.MediaCoreVpcId.Default, 'vpc-0123');
    assert.equal(t.Parameters.MediaCoreSubnetIds.Default, 'subnet-a,subnet-b');
    assert.equal(t.Parameters.MediaCoreDesiredCount.Default, '3');
    assert.equal(t.Parameters.MediaCoreInstanceType.Default, 'c6i.xlarge');
    assert.match(t.Parameters.MediaCoreImageUri.Default, /media-core:1$/);
  });
});
