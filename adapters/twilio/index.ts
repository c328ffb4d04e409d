/** Twilio Flex adapter: webhooks (receive-call, refer-handler), the REFER the media core sends, SMS. */
export { loadReceiveCallConfig, loadReferHandlerConfig, loadTwilioRestConfig } from './config.ts';
export type { ReceiveCallConfig, ReferHandlerConfig, TwilioRestConfig, AuthTokenSource } from './config.ts';
export { resolveAuthToken, fetchSsmParameter, type ParameterFetcher } from './auth-token.ts';
export { TwilioInputError, TwilioApiError } from './errors.ts';
export { publicWebhookUrl, decodeBody, parseForm, isValidTwilioSignature, type SignedWebhookRequest, type FormParams } from './signature.ts';
export { classifyCalled, mediaCoreSipUri, dialSipTwiml, studioReturnUrl, studioRedirectTwiml, MAX_SIP_URI_LENGTH } from './twiml.ts';
export { parseReferTransferTarget, decodeUserToUser, SESSION_HISTORY_KEY_HEADER, type ReferTransferTarget } from './refer-target.ts';
export { receiveCallTwiml, referHandlerTwiml } from './webhooks.ts';
export { translateTransfer, TwilioTranslateError, DEFAULT_FLEX_REFER_TO, MAX_REFER_TO_LENGTH, type FlexTransferOptions } from './translate.ts';
export { createTwilioClient, type TwilioClient, type TwilioClientOptions, type CreateMessageParams } from './client.ts';
export { sendSms, toMessageParams, SmsValidationError, MAX_SMS_BODY, type SmsRequest } from './sms.ts';
export { testConnection } from './test-connection.ts';
