/**
 * Building blocks of a vendor's deploy declaration (adapters/<vendor>/deploy.ts): osls
 * function entries and CloudFormation resources as plain data, merged into serverless.yml by
 * infra/vendor-functions.cjs. `${param:...}`, `${env:...}` and `${file(...)}` are osls
 * variables, resolved at package time (serverless.com/framework/docs/providers/aws/guide/variables);
 * `Fn::Sub` / `Fn::GetAtt` are CloudFormation intrinsics.
 */

/** osls `functions` entries by function name, CloudFormation `Resources` by logical id. */
export interface VendorDeploy {
  functions: Record<string, Record<string, unknown>>;
  resources: Record<string, Record<string, unknown>>;
}

/** An IAM policy statement (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html). */
export interface Statement {
  Effect: 'Allow';
  Action: string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

/** ARN of the SSM parameter named by the deploy parameter `param` (e.g. 'contactTokenSecretParam'). */
export const ssmParam = (param: string) => ({ 'Fn::Sub': `arn:aws:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter\${param:${param}}` });

/** Reads of the SSM parameters named by the deploy parameters `params`. */
export const readParams = (...params: string[]): Statement => ({ Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: params.length === 1 ? ssmParam(params[0]!) : params.map(ssmParam) });

/**
 * DynamoDB `actions` on the state table, limited to the item families `prefixes`
 * (dynamodb:LeadingKeys, lib/store/*: session#, contact#id#, contact#num#, outcome#).
 */
export const stateTable = (actions: string[], ...prefixes: string[]): Statement => ({
  Effect: 'Allow',
  Action: actions,
  Resource: { 'Fn::GetAtt': ['StateTable', 'Arn'] },
  Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes } },
});

/** A function's own role: basic execution (logs) plus `policies` (name -> statements). */
export function lambdaRole(policies: Record<string, Statement[]>): Record<string, unknown> {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: '${file(infra/iam/lambda-trust.yml)}',
      ManagedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      Policies: Object.entries(policies).map(([PolicyName, Statement]) => ({ PolicyName, PolicyDocument: { Version: '2012-10-17', Statement } })),
    },
  };
}

/** `${env:NAME, 'fallback'}`: the deploy environment's value, else `fallback`. */
export const env = (name: string, fallback = '') => `\${env:${name}, '${fallback}'}`;

/** Environment of an outcome function (functions/outcome-function.ts): deadline and idempotency lease. */
export const outcomeFunctionEnv = (timeoutSeconds: number) => ({
  OUTCOME_DEADLINE_MS: env('OUTCOME_DEADLINE_MS', '3000'),
  // The idempotency lease is at least the function timeout (adapters/common/apply-once.ts).
  FUNCTION_TIMEOUT_MS: String(timeoutSeconds * 1000),
});
