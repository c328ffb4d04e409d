/** The agent's screen pop: page rendering (pure) and the request logic used by functions/agent/screen-pop.ts. */
export { escapeHtml } from './escape.ts';
export { isSessionHistoryKey } from './key.ts';
export { CONTENT_SECURITY_POLICY, screenPopHeaders } from './headers.ts';
export { renderTranscriptPage, renderErrorPage, renderDtmf, formatClock, formatOffset } from './page.ts';
export { screenPopResponse, type ScreenPopResponse, type SessionReader } from './screen-pop.ts';
