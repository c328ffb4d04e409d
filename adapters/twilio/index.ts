/** Twilio Flex adapter: webhooks (receive-call, refer-handler), the REFER the media core sends, SMS. */
export { loadTwilioRestConfig } from './config.ts';
export { resolveAuthToken } from './auth-token.ts';
export { createTwilioClient } from './client.ts';
export { testConnection } from './test-connection.ts';
