"""A reference SRTP/SRTCP peer for tests: libsrtp (Cisco's, Debian libsrtp2) through pylibsrtp.

Reads one JSON request a line on stdin and writes one JSON answer a line:
  {"op": "protect" | "unprotect" | "protect_rtcp" | "unprotect_rtcp", "key": <60 hex digits>, "packet": <hex>}
  -> {"packet": <hex>} or {"error": <text>}
One session per key and direction is kept for the whole run, so indices and replay windows
carry over between requests as they would on a call.
"""
import json
import sys

import pylibsrtp

sessions = {}


def session(key, inbound):
    k = (key, inbound)
    if k not in sessions:
        kind = pylibsrtp.Policy.SSRC_ANY_INBOUND if inbound else pylibsrtp.Policy.SSRC_ANY_OUTBOUND
        sessions[k] = pylibsrtp.Session(pylibsrtp.Policy(key=bytes.fromhex(key), ssrc_type=kind))
    return sessions[k]


for line in sys.stdin:
    req = json.loads(line)
    op = req["op"]
    try:
        s = session(req["key"], op.startswith("unprotect"))
        out = getattr(s, op)(bytes.fromhex(req["packet"]))
        print(json.dumps({"packet": out.hex()}), flush=True)
    except Exception as e:  # libsrtp's refusal (authentication, replay) is the answer
        print(json.dumps({"error": str(e)}), flush=True)
