/** The agent's screen pop: page rendering (pure) and the request logic used by functions/agent/screen-pop.ts. */
export { escapeHtml } from './escape.ts';
export { isSessionHistoryKey } from './key.ts';
export { CONTENT_SECURITY_POLICY, screenPopHeaders } from './headers.ts';
export { renderTranscriptPage, renderErrorPage, renderDtmf, formatClock, formatOffset, MASKED_DIGIT, type PageOptions } from './page.ts';
export { screenPopResponse, type ScreenPopResponse, type ScreenPopOptions, type SessionReader } from './screen-pop.ts';
export { agentPageUrl, mintViewToken, screenPopLink, verifyViewToken, VIEW_PARAM, DEFAULT_LINK_TTL_SECONDS, type ViewCheck } from './link.ts';
