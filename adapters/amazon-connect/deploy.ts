/** Amazon Connect's functions in the stack: the outcome function and the flow's contact registration. */
import { env, lambdaRole, outcomeFunctionEnv, readParams, stateTable, type VendorDeploy } from '../deploy-template.ts';

export const deploy: VendorDeploy = {
  functions: {
    amazonConnectOutcome: {
      handler: 'functions/amazon-connect/outcome.handler',
      description: 'Applies a media-core outcome to Amazon Connect (UpdateContactAttributes).',
      role: 'AmazonConnectOutcomeRole',
      timeout: 6,
      environment: {
        ...outcomeFunctionEnv(6),
        // Empty in AWS (the SDK's regional endpoint); the sandbox URL locally.
        AMAZON_CONNECT_ENDPOINT: env('AMAZON_CONNECT_ENDPOINT'),
        AMAZON_CONNECT_AGENT_MESSAGE_ATTRIBUTE: env('AMAZON_CONNECT_AGENT_MESSAGE_ATTRIBUTE', 'MessageToHumanAgent'),
        AMAZON_CONNECT_AGENT_MESSAGE_MAX_BYTES: env('AMAZON_CONNECT_AGENT_MESSAGE_MAX_BYTES', '1024'),
      },
    },
    amazonConnectContactFlow: {
      handler: 'functions/amazon-connect/contact-flow.handler',
      description: 'Invoked by the Amazon Connect flow; registers the contact and returns screen-pop attributes.',
      role: 'AmazonConnectContactFlowRole',
      timeout: 8,
      environment: {
        AGENT_SCREEN_POP_BASE_URL: env('AGENT_SCREEN_POP_BASE_URL'),
        CONTACT_REGISTRATION_TTL_SECONDS: env('CONTACT_REGISTRATION_TTL_SECONDS', '600'),
        // The screenPopURL it returns is a signed view link (adapters/agent-view/link.ts).
        SCREEN_POP_SECRET_PARAM: '${param:screenPopSecretParam}',
        SCREEN_POP_LINK_TTL_SECONDS: env('SCREEN_POP_LINK_TTL_SECONDS', '3600'),
        CONTACT_TOKEN_TTL_SECONDS: env('CONTACT_TOKEN_TTL_SECONDS', '120'),
        CONTACT_TOKEN_SECRET_PARAM: '${param:contactTokenSecretParam}',
      },
    },
  },
  resources: {
    AmazonConnectOutcomeRole: lambdaRole({
      'update-contact-attributes': [
        // Only the configured instance's contacts (deploy parameter connectInstanceArn);
        // GetContactAttributes reads back an ambiguous write (adapters/common/apply-once.ts).
        { Effect: 'Allow', Action: ['connect:UpdateContactAttributes', 'connect:GetContactAttributes'], Resource: '${param:connectInstanceArn}/contact/*' },
        // Only the idempotency records (lib/store/idempotency.ts, pk outcome#...).
        stateTable(['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'], 'outcome#*'),
      ],
    }),
    AmazonConnectContactFlowRole: lambdaRole({
      'register-contact': [
        // Only contact registrations (lib/store/contact-registry.ts, pk contact#id#... and contact#num#...).
        stateTable(['dynamodb:PutItem'], 'contact#id#*', 'contact#num#*'),
        readParams('contactTokenSecretParam', 'screenPopSecretParam'),
      ],
    }),
    // Lets only the configured Amazon Connect instance invoke the contact-flow function.
    AmazonConnectContactFlowInvokePermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': ['AmazonConnectContactFlowLambdaFunction', 'Arn'] },
        Principal: 'connect.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: '${param:connectInstanceArn}',
      },
    },
  },
};
