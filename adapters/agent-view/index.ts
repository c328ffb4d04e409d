/** The agent's screen pop: page rendering (pure) and the request logic used by functions/agent/screen-pop.ts. */
export { escapeHtml } from './escape.ts';
export { isSessionHistoryKey } from './key.ts';
export { CONTENT_SECURITY_POLICY } from './headers.ts';
export { renderTranscriptPage, renderDtmf, formatOffset } from './page.ts';
export { screenPopResponse } from './screen-pop.ts';
export { mintViewToken, screenPopLink } from './link.ts';
