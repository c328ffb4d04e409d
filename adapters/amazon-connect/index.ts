/** Amazon Connect adapter: UpdateContactAttributes outcomes, flow-invoked contact registration. */
export { loadAmazonConnectConfig, AmazonConnectConfigSchema, type AmazonConnectConfig } from './config.ts';
export { translateOutcome, validateAttributes, attributesBytes, instanceIdFromArn, MAX_ATTRIBUTES_BYTES, HANGUP_VALUE, SESSION_HISTORY_KEY_ATTRIBUTE, type UpdateContactAttributesRequest } from './translate.ts';
export { createConnectSdkClient, connectApi, type ConnectApi } from './client.ts';
export { applyOutcome, type ConnectApplyDeps } from './apply.ts';
export { testConnection } from './test-connection.ts';
export { registrationFromFlowEvent, screenPopAttributes } from './contact-flow.ts';
/** For the media core: find the contact of a Voice Connector INVITE. */
export { findRegisteredContact, registerContact, type ContactRegistration, type ContactLookup } from '../../lib/store/contact-registry.ts';
