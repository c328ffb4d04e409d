import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { STATE_TABLE_KEYS } from '../../lib/store/table.ts';
import { VENDORS } from '../../adapters/registry.ts';

// `serverless package` builds every function with serverless-esbuild and writes the
// CloudFormation template without touching AWS. Functions are read from serverless.yml
// itself, so the test keeps up with functions added later and never depends on the content
// of other handlers.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = mkdtempSync(join(tmpdir(), 'sls-package-'));

interface FnDecl {
  handler: string;
  role?: string;
  events?: Array<{ httpApi?: { method: string; path: string } }>;
}
type Cfn = { Resources: Record<string, { Type: string; Properties: Record<string, any>; DependsOn?: unknown }> };

// js-yaml comes with osls (not a direct dependency, no types), hence require and a local type.
interface YamlType { new (tag: string, o: { kind: 'scalar' | 'sequence' | 'mapping'; construct: (d: unknown) => unknown }): unknown }
const yaml = createRequire(import.meta.url)('js-yaml') as {
  Type: YamlType;
  DEFAULT_SCHEMA: { extend(types: unknown[]): unknown };
  load(text: string, o: { schema: unknown }): unknown;
};

// CloudFormation short-form tags (!Sub, !GetAtt, !Ref...) only need to parse, not resolve.
const cfnTags = ['Sub', 'GetAtt', 'Ref', 'Join', 'If', 'Equals', 'Select', 'Split', 'ImportValue', 'FindInMap', 'Not', 'And', 'Or', 'Base64', 'Cidr', 'GetAZs'].flatMap((t) =>
  (['scalar', 'sequence', 'mapping'] as const).map((kind) => new yaml.Type(`!${t}`, { kind, construct: (d: unknown) => ({ [`Fn::${t}`]: d }) })),
);
// `functions` is a list osls merges: maps written here, and the registry's (infra/vendor-functions.cjs).
const generated = createRequire(import.meta.url)('../../infra/vendor-functions.cjs') as { functions: Record<string, FnDecl> };
const listed = (yaml.load(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { schema: yaml.DEFAULT_SCHEMA.extend(cfnTags) }) as { functions: (Record<string, FnDecl> | string)[] }).functions;
const declared: Record<string, FnDecl> = Object.assign({}, ...listed.map((f) => (typeof f === 'string' ? generated.functions : f)));

/** Serverless's logical id normalization (lib/plugins/aws/lib/naming.js normalizeName). */
const logical = (name: string) => name.charAt(0).toUpperCase() + name.slice(1).replace(/-/g, 'Dash').replace(/_/g, 'Underscore');

let template: Cfn;
before(async () => {
  await promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'serverless'), ['package', '--package', out], {
    cwd: ROOT,
    timeout: 50_000,
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none-offline-test', SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
  });
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
});
after(() => rmSync(out, { recursive: true, force: true }));

test('serverless.yml declares functions', () => {
  assert.ok(Object.keys(declared).length >= 2);
});

test('every declared function is in the template with its handler, its own role and one artifact', () => {
  for (const [name, fn] of Object.entries(declared)) {
    const res = template.Resources[`${logical(name)}LambdaFunction`];
    assert.ok(res, `${name} missing from the template`);
    assert.equal(res.Type, 'AWS::Lambda::Function');
    assert.equal(res.Properties.Handler, fn.handler);
    assert.match(String(res.Properties.Code.S3Key), new RegExp(`/${name}\\.zip$`));
    assert.ok(existsSync(join(out, `${name}.zip`)), `${name}.zip not written`);
    if (fn.role) assert.deepEqual(res.Properties.Role, { 'Fn::GetAtt': [fn.role, 'Arn'] }, `${name} role`);
  }
});

test('every httpApi event has its route wired to its own function', () => {
  const routes = Object.values(template.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route');
  for (const [name, fn] of Object.entries(declared)) {
    for (const e of fn.events ?? []) {
      if (!e.httpApi) continue;
      const key = `${e.httpApi.method.toUpperCase()} ${e.httpApi.path}`;
      const route = routes.find((r) => r.Properties.RouteKey === key);
      assert.ok(route, `route ${key} of ${name} missing`);
      assert.equal(JSON.stringify(route.Properties.Target).includes(`HttpApiIntegration${logical(name)}`), true, `${key} -> ${name}`);
    }
  }
});

test('StateTable key schema matches lib/store/table.ts STATE_TABLE_KEYS', () => {
  const table = template.Resources.StateTable;
  assert.ok(table);
  assert.deepEqual(table.Properties.KeySchema, STATE_TABLE_KEYS.KeySchema);
  assert.deepEqual(table.Properties.AttributeDefinitions, STATE_TABLE_KEYS.AttributeDefinitions);
});

test("every registered vendor's functions and IAM resources are in the template (adapters/registry.ts, no serverless.yml edit)", () => {
  for (const v of VENDORS) {
    const deploy = 'deploy' in v ? v.deploy : undefined;
    if (!deploy) continue;
    for (const name of Object.keys(deploy.functions)) assert.equal(template.Resources[`${logical(name)}LambdaFunction`]?.Type, 'AWS::Lambda::Function', `${v.id}: ${name}`);
    for (const [id, r] of Object.entries(deploy.resources)) assert.equal(template.Resources[id]?.Type, r.Type, `${v.id}: ${id}`);
  }
  assert.ok(VENDORS.some((v) => 'deploy' in v && v.deploy), 'at least one vendor deploys functions');
});
