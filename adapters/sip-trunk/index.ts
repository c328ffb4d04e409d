/** Generic SIP trunk vendor folder: outcomes are carried over SIP by the media core; no API client. */
export { translateTransfer, translateHangup, SipTrunkTranslateError } from './translate.ts';
