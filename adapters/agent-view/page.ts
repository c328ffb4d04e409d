/**
 * Pure rendering of the agent's screen pop: the conversation a caller had with the assistant
 * before being queued for an agent (the page that screenPopURL in Amazon Connect, the CXone
 * PopURL action and the Flex task attribute point to). No I/O; every value from the store
 * goes through escapeHtml, so a caller's words can never become markup.
 */
import type { SessionMeta, TranscriptEntry } from '../../lib/store/session-history.ts';
import { redactNumber } from '../../lib/redact.ts';
import { escapeHtml } from './escape.ts';
import { PAGE_CSS } from './styles.ts';

const WHO_LABEL: Record<TranscriptEntry['who'], string> = { caller: 'Caller', assistant: 'Assistant', system: 'System' };

/** "2026-11-22T10:04:05.120Z" -> "10:04:05 UTC"; anything unparsable is shown as given. */
export function formatClock(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().slice(11, 19)} UTC`;
}

/** "2026-11-22T10:04:05.120Z" -> "2026-11-22 10:04:05 UTC"; anything unparsable is shown as given. */
export function formatDateTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 10)} ${formatClock(iso)}`;
}

/** Offset of `iso` from `startIso` as "+m:ss" (empty when either time is unparsable or negative). */
export function formatOffset(iso: string, startIso: string): string {
  const d = Date.parse(iso) - Date.parse(startIso);
  if (!Number.isFinite(d) || d < 0) return '';
  const s = Math.floor(d / 1000);
  return `+${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** What a masked DTMF digit is shown as. */
export const MASKED_DIGIT = '\u2022';

/**
 * DTMF digits (0-9, *, #, A-D) as one <kbd> each; other characters are escaped text.
 * @param mask true: each digit shown as {@link MASKED_DIGIT} (PINs and account numbers are
 *   typed as DTMF; the agent sees how many keys, not which); other characters are dropped.
 */
export function renderDtmf(digits: string, mask = false): string {
  return [...digits.replace(/\s+/g, '')]
    .map((d) => (/^[0-9*#A-Da-d]$/.test(d) ? `<kbd>${mask ? MASKED_DIGIT : escapeHtml(d)}</kbd>` : mask ? '' : escapeHtml(d)))
    .join('');
}

/** Page options. */
export interface PageOptions {
  /** Show DTMF digits as dots (default true). */
  maskDtmf?: boolean;
}

function renderTurn(turn: TranscriptEntry, startedAt: string, maskDtmf: boolean): string {
  const who = WHO_LABEL[turn.who] ? turn.who : 'system';
  const offset = formatOffset(turn.at, startedAt);
  const body = turn.isDtmf
    ? `<p class="text dtmf"><span class="note">DTMF${maskDtmf ? ' (masked)' : ''} </span>${renderDtmf(turn.text, maskDtmf)}</p>`
    : `<p class="text">${escapeHtml(turn.text)}</p>`;
  return [
    `<li class="turn ${who}" data-seq="${escapeHtml(turn.seq)}">`,
    `<header><span class="who">${WHO_LABEL[who]}</span>`,
    `<time datetime="${escapeHtml(turn.at)}">${escapeHtml(formatClock(turn.at))}</time>`,
    offset ? `<span class="offset">${escapeHtml(offset)}</span>` : '',
    turn.responseType ? `<span class="rtype">${escapeHtml(turn.responseType)}</span>` : '',
    `</header>${body}</li>`,
  ].join('');
}

function document(title: string, main: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<main>
${main}
</main>
</body>
</html>
`;
}

/**
 * The transcript page.
 * @param session meta and turns as read by readSession (turns in seq order; re-sorted here defensively)
 * @param opts maskDtmf (default true)
 * @returns a complete, self-contained HTML document (UTF-8)
 */
export function renderTranscriptPage(session: { meta: SessionMeta; turns: TranscriptEntry[] }, opts: PageOptions = {}): string {
  const maskDtmf = opts.maskDtmf ?? true;
  const { meta } = session;
  const turns = [...session.turns].sort((a, b) => a.seq - b.seq);
  const caller = redactNumber(meta.callerRedacted) || 'withheld';
  const facts = [
    ['Called number', meta.calledNumber || 'unknown'],
    ['Caller', caller],
    ['Contact center', meta.vendorLabel ?? (meta.vendor || 'unknown')],
    ['Call started', formatDateTime(meta.startedAt)],
    ['Turns', String(turns.length)],
  ]
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
    .join('');
  // The assistant's own summary for the agent (message_to_human_agent) comes first: it is what
  // the agent reads before anything else.
  const summary = meta.messageToHumanAgent
    ? `<section class="agent-message" aria-label="Message to the agent"><h2>Message from the assistant</h2><p class="text">${escapeHtml(meta.messageToHumanAgent)}</p></section>\n`
    : '';
  const list = turns.length
    ? `<ol class="turns">${turns.map((t) => renderTurn(t, meta.startedAt, maskDtmf)).join('\n')}</ol>`
    : '<p class="empty">The caller did not say anything to the assistant.</p>';
  return document(
    'Conversation with the assistant',
    `<h1>Conversation with the assistant</h1>
${summary}<dl class="facts">${facts}</dl>
${list}
<footer>Transcript of the call before it was transferred. This link expires a set time after the transfer.</footer>`,
  );
}

/** A short error page (404 unknown or expired key, 400 malformed key, 503 storage unavailable). */
export function renderErrorPage(title: string, message: string): string {
  return document(title, `<h1>${escapeHtml(title)}</h1>\n<p class="note">${escapeHtml(message)}</p>`);
}
