/** Twilio's functions in the stack: the voice webhook and the referUrl, one least-privilege role. */
import { env, lambdaRole, readParams, stateTable, type VendorDeploy } from '../deploy-template.ts';

export const deploy: VendorDeploy = {
  functions: {
    twilioReceiveCall: {
      handler: 'functions/twilio/receive-call.handler',
      description: 'Twilio voice webhook; answers with <Dial referUrl><Sip> to the media core.',
      role: 'TwilioWebhookRole',
      timeout: 5,
      environment: {
        PUBLIC_BASE_URL: env('PUBLIC_BASE_URL'),
        MEDIA_CORE_SIP_HOST: env('MEDIA_CORE_SIP_HOST'),
        SIP_SECURE: env('SIP_SECURE', 'true'),
        SIP_TRANSPORT: env('SIP_TRANSPORT', 'tcp'),
        TWILIO_REFER_URL: env('TWILIO_REFER_URL'),
        TWILIO_AUTH_TOKEN_PARAM: '${param:twilioAuthTokenParam}',
      },
      events: [{ httpApi: { method: 'POST', path: '/twilio/receive-call' } }],
    },
    twilioReferHandler: {
      handler: 'functions/twilio/refer-handler.handler',
      description: 'Twilio referUrl; redirects the caller to the Studio flow with the session history key and the signed screen-pop link.',
      role: 'TwilioWebhookRole',
      timeout: 5,
      environment: {
        PUBLIC_BASE_URL: env('PUBLIC_BASE_URL'),
        STUDIO_FLOW_WEBHOOK_URL: env('STUDIO_FLOW_WEBHOOK_URL'),
        TWILIO_AUTH_TOKEN_PARAM: '${param:twilioAuthTokenParam}',
        // ScreenPopUrl for the Flex task: a signed view link (adapters/agent-view/link.ts) to
        // AGENT_SCREEN_POP_BASE_URL, else PUBLIC_BASE_URL (this HTTP API serves GET /agent).
        AGENT_SCREEN_POP_BASE_URL: env('AGENT_SCREEN_POP_BASE_URL'),
        SCREEN_POP_SECRET_PARAM: '${param:screenPopSecretParam}',
        SCREEN_POP_LINK_TTL_SECONDS: env('SCREEN_POP_LINK_TTL_SECONDS', '3600'),
      },
      events: [{ httpApi: { method: 'POST', path: '/twilio/refer-handler' } }],
    },
  },
  resources: {
    TwilioWebhookRole: lambdaRole({
      // The auth token (both webhooks); the screen pop's link secret (refer-handler's ScreenPopUrl).
      'read-twilio-secrets': [readParams('twilioAuthTokenParam', 'screenPopSecretParam')],
      // refer-handler reads message_to_human_agent from the session history by key.
      'read-session-history': [stateTable(['dynamodb:GetItem'], 'session#*')],
    }),
  },
};
