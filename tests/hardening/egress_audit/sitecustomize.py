"""Loaded by every Python process the zero-egress test starts (it is put first on PYTHONPATH).

Records every attempt to open a network connection or resolve a name, through Python's audit hooks
(PEP 578), into the file named by ``FEEDLENS_EGRESS_LOG``, one JSON line per attempt. Native code
that bypasses Python's socket module is covered by the network-namespace run in the same test.
"""

import json
import os
import sys

_LOG = os.environ.get("FEEDLENS_EGRESS_LOG")


def _hook(event, args):
    if event not in ("socket.connect", "socket.getaddrinfo", "socket.sendto", "urllib.Request", "http.client.connect"):
        return
    if event == "socket.connect":
        target = args[1]
    elif event == "socket.sendto":
        target = args[1]
    elif event == "socket.getaddrinfo":
        target = (args[0], args[1])
    elif event == "urllib.Request":
        target = args[0]
    else:
        target = (args[1], args[2])
    try:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"event": event, "target": repr(target), "pid": os.getpid()}) + "\n")
    except Exception:
        pass


if _LOG:
    sys.addaudithook(_hook)
