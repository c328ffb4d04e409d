/** NICE CXone adapter: signal outcomes (p1 = session history key or "hangup"). */
export { loadNiceCxoneConfig, type NiceCxoneConfig } from './config.ts';
export { translateOutcome, customDataToParams } from './translate.ts';
export { decodeJwtPayload } from './auth.ts';
export { createCxoneApi, type CxoneApi } from './client.ts';
export { applyOutcome } from './apply.ts';
export { testConnection } from './test-connection.ts';
