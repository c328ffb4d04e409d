/** Amazon Connect adapter: UpdateContactAttributes outcomes, flow-invoked contact registration. */
export { loadAmazonConnectConfig } from './config.ts';
export { translateOutcome } from './translate.ts';
export { createConnectSdkClient, connectApi, type ConnectApi } from './client.ts';
export { applyOutcome } from './apply.ts';
export { testConnection } from './test-connection.ts';
export { screenPopAttributes } from './contact-flow.ts';
