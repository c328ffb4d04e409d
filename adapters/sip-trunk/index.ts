/** Generic SIP trunk vendor folder: outcomes are carried over SIP by the media core; no API client. */
export { ServiceDeskSip, SipTrunkSettings, type SipTrunkConfig, type ServiceDeskSipInput } from './config.ts';
export { translateTransfer, translateHangup, withSessionHistoryKey, checkHeaderValues, SipTrunkTranslateError, SESSION_HISTORY_KEY_HEADER, MAX_HEADER_VALUE_BYTES } from './translate.ts';
