/**
 * A SIPp scenario step (https://sipp.sourceforge.net/doc/reference.html#send) that answers the
 * last request received with `status` (e.g. "200 OK"), copying its Via, From, To, Call-ID and
 * CSeq, as RFC 3261 section 8.2.6.2 asks of a UAS response.
 */
export function sippReply(status: string): string {
  return `
  <send><![CDATA[
SIP/2.0 ${status}
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>`;
}
