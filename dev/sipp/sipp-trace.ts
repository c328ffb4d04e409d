/** Reads SIPp -trace_msg message files (dev/sipp/run-sipp.ts) for the fleet tests and bench. */

/** One received response to an INVITE: its Call-ID, status, and the Contact port (the media core that sent it). */
export interface InviteAnswer {
  callId: string;
  status: number;
  contactPort?: number;
}

/** The final responses (>= 200) to INVITEs that SIPp received, the first per Call-ID, in order. */
export function inviteAnswers(messages: string): InviteAnswer[] {
  const byCall = new Map<string, InviteAnswer>();
  for (const block of messages.split(/^-{10,}.*$/m)) {
    if (!/message received/i.test(block)) continue;
    const status = /^\s*SIP\/2\.0 (\d{3}) /m.exec(block);
    if (!status || Number(status[1]) < 200 || !/^CSeq:\s*\d+ INVITE/im.test(block)) continue;
    const callId = /^Call-ID:\s*(\S+)/im.exec(block)?.[1];
    if (!callId || byCall.has(callId)) continue;
    const contact = /^Contact:\s*<sip:[^@>]*@?127\.0\.0\.1:(\d+)/im.exec(block);
    byCall.set(callId, { callId, status: Number(status[1]), contactPort: contact ? Number(contact[1]) : undefined });
  }
  return [...byCall.values()];
}
