/**
 * Least privilege, read from the packaged CloudFormation template (`serverless package` works
 * offline): each role's exact actions and resources (a vendor's as its descriptor declares them,
 * adapters/<vendor>/deploy.ts, so a new vendor needs no edit here), DynamoDB access limited per item family
 * with dynamodb:LeadingKeys (lib/store/*: session#, contact#id#, contact#num#, outcome#),
 * UpdateContactAttributes pinned to the deploy parameter connectInstanceArn, Connect's invoke
 * permission limited by SourceArn, and no secret in any function's environment (only the
 * names of SSM SecureString parameters).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readParams } from '../../adapters/deploy-template.ts';
import { VENDORS } from '../../adapters/registry.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = mkdtempSync(join(tmpdir(), 'sls-iam-'));
// A distinctive instance per run, passed the way a deploy passes it.
const INSTANCE_ARN = `arn:aws:connect:us-east-1:123456789012:instance/${crypto.randomUUID()}`;

type Statement = { Effect: string; Action: string[]; Resource: unknown; Condition?: Record<string, Record<string, string[]>> };
type Resource = { Type: string; Properties: Record<string, any> };
let resources: Record<string, Resource>;

before(async () => {
  await promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'serverless'), ['package', '--package', out], {
    cwd: ROOT,
    timeout: 120_000,
    env: { ...process.env, AMAZON_CONNECT_INSTANCE_ARN: INSTANCE_ARN, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none-offline-test', SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
  });
  resources = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
});
after(() => rmSync(out, { recursive: true, force: true }));

const statements = (role: string): Statement[] => {
  const r = resources[role];
  assert.ok(r, `${role} in the template`);
  return (r.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
};
const ssm = (name: string) => ({ 'Fn::Sub': `arn:aws:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/open-phone-integration/dev/${name}` });
const table = { 'Fn::GetAtt': ['StateTable', 'Arn'] };
const leading = (...prefixes: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes } });

/**
 * The deploy parameters as osls resolves them for stage dev (serverless.yml `params.default`),
 * plus the instance this run passes: what `${param:...}` in a declaration becomes.
 */
const yml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
const PARAMS: Record<string, string> = {
  ...Object.fromEntries(
    [...yml.slice(yml.indexOf('\nparams:'), yml.indexOf('\nprovider:')).matchAll(/^ {4}(\w+): (\S+)$/gm)].map(([, k, v]) => [k!, v!.replace('${self:service}', 'open-phone-integration').replace('${sls:stage}', 'dev')]),
  ),
  connectInstanceArn: INSTANCE_ARN,
};
const resolve = <T>(declared: T): T =>
  JSON.parse(JSON.stringify(declared).replace(/\$\{param:(\w+)\}/g, (_, p: string) => PARAMS[p] ?? assert.fail(`unknown deploy parameter ${p}`)));
const policyStatements = (role: { Properties?: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] } }) => (role.Properties?.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement);

/**
 * Each role: its statements exactly (effect, actions, resources, conditions). A vendor's roles
 * are what its descriptor declares (adapters/<vendor>/deploy.ts), so the template may grant
 * nothing broader than the declaration; the roles outside the registry are written here.
 */
const EXPECTED: Record<string, Statement[]> = {
  ...Object.fromEntries(
    VENDORS.flatMap((v) => Object.entries(v.deploy?.resources ?? {}))
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .map(([name, r]) => [name, resolve(policyStatements(r as never))]),
  ),
  AgentScreenPopRole: [
    { Effect: 'Allow', Action: ['dynamodb:Query', 'dynamodb:GetItem'], Resource: table, Condition: leading('session#*') },
    { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: ssm('screen-pop/link-secret') },
  ],
};

test('the declared roles resolve to the stage: SSM parameters of this service and stage, Connect of the configured instance', () => {
  assert.deepEqual(resolve(readParams('contactTokenSecretParam', 'screenPopSecretParam')).Resource, [ssm('contact-token-secret'), ssm('screen-pop/link-secret')]);
  assert.equal(resolve('${param:connectInstanceArn}/contact/*'), `${INSTANCE_ARN}/contact/*`);
});

// The item families a vendor function may touch (lib/store/*), never a broader prefix such as contact#*.
const VENDOR_ITEM_FAMILIES = new Set(['session#*', 'contact#id#*', 'contact#num#*', 'outcome#*']);

test('each vendor function runs under a role its own vendor declares, limited to whole item families', () => {
  for (const v of VENDORS) {
    for (const [role, r] of Object.entries(v.deploy?.resources ?? {})) {
      if (r.Type !== 'AWS::IAM::Role') continue;
      for (const s of policyStatements(r as never)) {
        const keys = (s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? []) as string[];
        for (const k of keys) assert.ok(VENDOR_ITEM_FAMILIES.has(k), `${role}: LeadingKeys ${k}`);
      }
    }
    for (const [name, fn] of Object.entries(v.deploy?.functions ?? {})) {
      const role = String(fn.role);
      assert.equal(v.deploy!.resources[role]?.Type, 'AWS::IAM::Role', `${v.id} ${name}: role ${role} declared in adapters/<vendor>/deploy.ts`);
      assert.deepEqual(resources[`${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`]?.Properties.Role, { 'Fn::GetAtt': [role, 'Arn'] }, `${v.id} ${name}`);
    }
  }
});

test('each role has exactly its actions on its resources', () => {
  assert.ok(Object.keys(EXPECTED).length > 4, 'the registry declares roles');
  for (const [role, expected] of Object.entries(EXPECTED)) assert.deepEqual(statements(role), expected, role);
});

// Actions IAM grants only on "*" (no resource-level permissions): ECR's registry login,
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/security-iam-awsmanpol.html
const STAR_ONLY_ACTIONS = new Set(['ecr:GetAuthorizationToken']);
// SSM parameters of this service and stage only (one parameter, or one folder: the media core's).
const STAGE_PARAMETERS = /^\{"Fn::Sub":"arn:aws:ssm:\$\{AWS::Region\}:\$\{AWS::AccountId\}:parameter\/open-phone-integration\/dev\/[a-z0-9/-]+(\/\*)?"\}$/;

test('no role grants a wildcard action or resource, and every DynamoDB grant is limited to item families', () => {
  const roles = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Role').map(([k]) => k);
  for (const role of roles) {
    for (const s of statements(role)) {
      for (const a of s.Action) assert.ok(!a.includes('*'), `${role}: action ${a}`);
      if (!s.Action.every((a) => STAR_ONLY_ACTIONS.has(a))) for (const r of [s.Resource].flat()) assert.notEqual(r, '*', `${role}: resource * for ${s.Action.join(', ')}`);
      if (s.Action.some((a) => a.startsWith('dynamodb:'))) assert.ok(s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']?.length, `${role}: LeadingKeys`);
      if (s.Action.some((a) => a.startsWith('ssm:'))) for (const r of [s.Resource].flat()) assert.ok(STAGE_PARAMETERS.test(JSON.stringify(r)), `${role}: ${JSON.stringify(r)} outside the stage's parameters`);
      if (s.Action.some((a) => a.startsWith('connect:'))) assert.ok(String(s.Resource).startsWith(`${INSTANCE_ARN}/`), `${role}: pinned to the instance`);
    }
  }
  for (const role of Object.keys(EXPECTED)) assert.ok(roles.includes(role), `${role} is a role of the template`);
});

test("only the configured Connect instance may invoke the flow function (SourceArn)", () => {
  const p = resources.AmazonConnectContactFlowInvokePermission!.Properties;
  assert.equal(p.Principal, 'connect.amazonaws.com');
  assert.equal(p.SourceArn, INSTANCE_ARN);
  assert.deepEqual(p.SourceAccount, { Ref: 'AWS::AccountId' });
});

test('no secret in any function environment: only SSM parameter names', () => {
  for (const [name, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const vars = (r.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(vars)) {
      if (/SECRET|TOKEN|API_KEY|PASSWORD/.test(k) && !/_PARAM$|_TTL_SECONDS$/.test(k)) assert.fail(`${name}: ${k} would put a secret in the environment`);
    }
  }
  const cx = resources.NiceCxoneOutcomeLambdaFunction!.Properties.Environment.Variables;
  assert.equal(cx.CXONE_CLIENT_SECRET, undefined);
  assert.equal(cx.CXONE_CLIENT_SECRET_PARAM, '/open-phone-integration/dev/cxone/client-secret');
});

test('the idempotency lease (FUNCTION_TIMEOUT_MS) of each outcome function is at least its timeout', () => {
  for (const name of ['AmazonConnectOutcomeLambdaFunction', 'NiceCxoneOutcomeLambdaFunction']) {
    const p = resources[name]!.Properties;
    assert.ok(Number(p.Environment.Variables.FUNCTION_TIMEOUT_MS) >= p.Timeout * 1000, `${name}: lease ${p.Environment.Variables.FUNCTION_TIMEOUT_MS} ms vs timeout ${p.Timeout} s`);
  }
});
