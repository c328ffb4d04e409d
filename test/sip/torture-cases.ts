/**
 * Expected outcome of each RFC 4475 torture message (section 3) at our UAS, plus two
 * extra files of the corpus set (badcseq, test). `status` is the final response we must
 * send; null means no response (responses, and requests whose Via cannot route one).
 * `parses` says whether the message is valid SIP (RFC 4475 "valid") for our parser.
 */
export interface TortureCase {
  file: string;
  parses: boolean;
  status: number | null;
  why: string;
}

export const TORTURE_CASES: TortureCase[] = [
  // 3.1.1 valid messages
  { file: 'wsinv.dat', parses: true, status: 481, why: '3.1.1.1 tortuous INVITE; its To tag names no dialog of ours' },
  { file: 'intmeth.dat', parses: true, status: 501, why: '3.1.1.2 wide range of valid characters; unknown method' },
  { file: 'esc01.dat', parses: true, status: 603, why: '3.1.1.3 valid % escaping; a call (test runtime declines)' },
  { file: 'escnull.dat', parses: true, status: 405, why: '3.1.1.4 escaped NULs; REGISTER not allowed here' },
  { file: 'esc02.dat', parses: true, status: 501, why: '3.1.1.5 % in a method is not an escape: unknown method' },
  { file: 'lwsdisp.dat', parses: true, status: 200, why: '3.1.1.6 no LWS between display name and <' },
  { file: 'longreq.dat', parses: true, status: 603, why: '3.1.1.7 long values; a call' },
  { file: 'dblreq.dat', parses: true, status: 405, why: '3.1.1.8 extra octets after Content-Length ignored: REGISTER only' },
  { file: 'semiuri.dat', parses: true, status: 200, why: '3.1.1.9 ; in the user part' },
  { file: 'transports.dat', parses: true, status: 200, why: '3.1.1.10 unknown transports in Via' },
  { file: 'mpart01.dat', parses: true, status: 405, why: '3.1.1.11 multipart MESSAGE; method not allowed' },
  { file: 'unreason.dat', parses: true, status: null, why: '3.1.1.12 response with unusual reason: no transaction, dropped' },
  { file: 'noreason.dat', parses: true, status: null, why: '3.1.1.13 empty reason phrase: dropped' },
  // 3.1.2 invalid messages
  { file: 'badinv01.dat', parses: false, status: 400, why: '3.1.2.1 extraneous separators' },
  { file: 'clerr.dat', parses: false, status: 400, why: '3.1.2.2 Content-Length larger than message' },
  { file: 'ncl.dat', parses: false, status: 400, why: '3.1.2.3 negative Content-Length' },
  { file: 'scalar02.dat', parses: false, status: 400, why: '3.1.2.4 overlarge scalar values' },
  { file: 'scalarlg.dat', parses: false, status: null, why: '3.1.2.5 response with overlarge values: dropped' },
  { file: 'quotbal.dat', parses: false, status: 400, why: '3.1.2.6 unterminated quoted display name' },
  { file: 'ltgtruri.dat', parses: false, status: 400, why: '3.1.2.7 <> around the Request-URI' },
  { file: 'lwsruri.dat', parses: false, status: 400, why: '3.1.2.8 LWS inside the Request-URI' },
  { file: 'lwsstart.dat', parses: false, status: 400, why: '3.1.2.9 several SP in the request line' },
  { file: 'trws.dat', parses: false, status: 400, why: '3.1.2.10 SP after the request line' },
  { file: 'escruri.dat', parses: false, status: 400, why: '3.1.2.11 headers in the Request-URI' },
  { file: 'baddate.dat', parses: true, status: 603, why: '3.1.2.12 non-GMT Date: we are liberal and ignore Date; a call' },
  { file: 'regbadct.dat', parses: false, status: 400, why: '3.1.2.13 Contact URI with ? not in <>' },
  { file: 'badaspec.dat', parses: false, status: 400, why: '3.1.2.14 spaces inside <addr-spec>' },
  { file: 'baddn.dat', parses: false, status: 400, why: '3.1.2.15 non-token display name' },
  { file: 'badvers.dat', parses: false, status: 505, why: '3.1.2.16 SIP/7.0' },
  { file: 'mismatch01.dat', parses: false, status: 400, why: '3.1.2.17 CSeq method differs from the request line' },
  { file: 'mismatch02.dat', parses: false, status: 400, why: '3.1.2.18 unknown method with CSeq mismatch' },
  { file: 'bigcode.dat', parses: false, status: null, why: '3.1.2.19 overlarge status code: dropped' },
  // 3.2 transaction layer
  { file: 'badbranch.dat', parses: true, status: 200, why: '3.2.1 branch without unique part: RFC 2543 matching' },
  // 3.3 application layer
  { file: 'insuf.dat', parses: false, status: 400, why: '3.3.1 missing required headers' },
  { file: 'unkscm.dat', parses: true, status: 416, why: '3.3.2 unknown Request-URI scheme' },
  { file: 'novelsc.dat', parses: true, status: 416, why: '3.3.3 known but unsupported scheme (soap.beep)' },
  { file: 'unksm2.dat', parses: true, status: 405, why: '3.3.4 unknown schemes in other headers are fine; REGISTER not allowed' },
  { file: 'bext01.dat', parses: true, status: 420, why: '3.3.5 Require of unknown extensions' },
  { file: 'invut.dat', parses: true, status: 415, why: '3.3.6 unknown Content-Type' },
  { file: 'regaut01.dat', parses: true, status: 405, why: '3.3.7 unknown authorization scheme; REGISTER not allowed' },
  { file: 'multi01.dat', parses: false, status: 400, why: '3.3.8 several values in single-value headers' },
  { file: 'mcl01.dat', parses: false, status: 400, why: '3.3.9 several Content-Length values' },
  { file: 'bcast.dat', parses: true, status: null, why: '3.3.10 response with a broadcast Via: no transaction, dropped' },
  { file: 'zeromf.dat', parses: true, status: 200, why: '3.3.11 Max-Forwards 0: an endpoint answers' },
  { file: 'cparam01.dat', parses: true, status: 405, why: '3.3.12 Contact parameter; REGISTER not allowed' },
  { file: 'cparam02.dat', parses: true, status: 405, why: '3.3.13 Contact URI parameter; REGISTER not allowed' },
  { file: 'regescrt.dat', parses: true, status: 405, why: '3.3.14 escaped header in Contact URI; REGISTER not allowed' },
  { file: 'sdp01.dat', parses: true, status: 406, why: '3.3.15 Accept without application/sdp' },
  // 3.4 backward compatibility
  { file: 'inv2543.dat', parses: true, status: 603, why: '3.4.1 RFC 2543 INVITE; a call' },
  // extra files in the corpus set
  { file: 'badcseq.dat', parses: false, status: 400, why: 'extra: CSeq without a number' },
  { file: 'test.dat', parses: false, status: null, why: 'extra: no SIP version, no Via: dropped' },
];
