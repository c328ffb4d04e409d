/** NICE CXone adapter: signal outcomes (p1 = session history key or "hangup"). */
export { loadNiceCxoneConfig, accessKeySecretLoader, NiceCxoneConfigSchema, type NiceCxoneConfig } from './config.ts';
export { translateOutcome, customDataToParams, HANGUP_VALUE, type SignalParams } from './translate.ts';
export { CxoneAuth, decodeJwtPayload, type CxoneSession } from './auth.ts';
export { createCxoneApi, signalUrl, type CxoneApi } from './client.ts';
export { applyOutcome, type CxoneApplyDeps } from './apply.ts';
export { testConnection } from './test-connection.ts';
