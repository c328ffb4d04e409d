/** NICE CXone's functions in the stack: the outcome function and the two REST actions the script calls. */
import { env, lambdaRole, outcomeFunctionEnv, readParams, stateTable, type VendorDeploy } from '../deploy-template.ts';

export const deploy: VendorDeploy = {
  functions: {
    niceCxoneOutcome: {
      handler: 'functions/nice-cxone/outcome.handler',
      description: 'Applies a media-core outcome to NICE CXone (signal with p1).',
      role: 'NiceCxoneOutcomeRole',
      timeout: 6,
      environment: {
        ...outcomeFunctionEnv(6),
        CXONE_ISSUER_URL: env('CXONE_ISSUER_URL'),
        CXONE_CLIENT_ID: env('CXONE_CLIENT_ID'),
        CXONE_ACCESS_KEY_ID: env('CXONE_ACCESS_KEY_ID'),
        CXONE_API_VERSION: env('CXONE_API_VERSION', '31.0'),
        CXONE_ACCESS_KEY_SECRET_PARAM: '${param:cxoneAccessKeySecretParam}',
        CXONE_CLIENT_SECRET_PARAM: '${param:cxoneClientSecretParam}',
        // message_to_human_agent in a signal slot: empty = none (the PopURL screen pop shows it anyway).
        CXONE_AGENT_MESSAGE_PARAM: env('CXONE_AGENT_MESSAGE_PARAM'),
        CXONE_CUSTOM_DATA_PARAMS: env('CXONE_CUSTOM_DATA_PARAMS', 'p2,p3,p4,p5,p6,p7,p8,p9'),
        CXONE_AGENT_MESSAGE_MAX_CHARS: env('CXONE_AGENT_MESSAGE_MAX_CHARS', '500'),
      },
    },
    niceCxoneContactToken: {
      handler: 'functions/nice-cxone/contact-token.handler',
      description: 'Mints the contact token a CXone script passes in X-Contact-Token (REST action with an API key).',
      role: 'NiceCxoneContactTokenRole',
      timeout: 5,
      environment: {
        CONTACT_TOKEN_TTL_SECONDS: env('CONTACT_TOKEN_TTL_SECONDS', '120'),
        CONTACT_TOKEN_SECRET_PARAM: '${param:contactTokenSecretParam}',
        CXONE_MINT_API_KEY_PARAM: '${param:cxoneMintApiKeyParam}',
      },
      events: [{ httpApi: { method: 'POST', path: '/nice-cxone/contact-token' } }],
    },
    niceCxoneScreenPopLink: {
      handler: 'functions/nice-cxone/screen-pop-link.handler',
      description: 'The signed screen-pop link a CXone script opens with PopURL (REST action with the mint API key).',
      role: 'NiceCxoneScreenPopLinkRole',
      timeout: 5,
      environment: {
        AGENT_SCREEN_POP_BASE_URL: env('AGENT_SCREEN_POP_BASE_URL'),
        PUBLIC_BASE_URL: env('PUBLIC_BASE_URL'),
        SCREEN_POP_SECRET_PARAM: '${param:screenPopSecretParam}',
        SCREEN_POP_LINK_TTL_SECONDS: env('SCREEN_POP_LINK_TTL_SECONDS', '3600'),
        CXONE_MINT_API_KEY_PARAM: '${param:cxoneMintApiKeyParam}',
      },
      events: [{ httpApi: { method: 'POST', path: '/nice-cxone/screen-pop-link' } }],
    },
  },
  resources: {
    NiceCxoneOutcomeRole: lambdaRole({
      'signal-contact': [readParams('cxoneAccessKeySecretParam', 'cxoneClientSecretParam'), stateTable(['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'], 'outcome#*')],
    }),
    NiceCxoneContactTokenRole: lambdaRole({ 'read-mint-secrets': [readParams('contactTokenSecretParam', 'cxoneMintApiKeyParam')] }),
    NiceCxoneScreenPopLinkRole: lambdaRole({ 'read-link-secrets': [readParams('cxoneMintApiKeyParam', 'screenPopSecretParam')] }),
  },
};
