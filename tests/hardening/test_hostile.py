"""Hostile callers against the live companion: web pages, DNS rebinding, missing / guessed / revoked /
foreign tokens, pairing floods. All refused, rate-limited where it matters, logged without post text."""

from __future__ import annotations

import http.client
import logging
import secrets

from hardtools import FIGURES, LiveCompanion

MARKER = "hostilemarker5521"
POSTS = {"site": "x", "posts": [{"id": "1", "text": f"private {MARKER} words", "author": f"@{MARKER}"}]}


def _raw(port: int, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> int:
    """A request with exactly these headers (requests would fix up Host)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    status = conn.getresponse().status
    conn.close()
    return status


def test_hostile_probes_are_refused_and_logged_without_post_text(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    live = LiveCompanion(tmp_path / "home", pair_requests_per_minute=10)
    try:
        body = __import__("json").dumps(POSTS).encode()
        json_ct = {"Content-Type": "application/json"}
        host = {"Host": f"127.0.0.1:{live.port}"}
        auth = {"Authorization": f"Bearer {live.token}"}
        probes = {
            "web page origin with a valid token": (403, {**host, **auth, **json_ct, "Origin": "http://127.0.0.1:9000"}),
            "another site's origin": (403, {**host, **auth, **json_ct, "Origin": "https://evil.example"}),
            "null origin (sandboxed iframe)": (403, {**host, **auth, **json_ct, "Origin": "null"}),
            "DNS-rebinding Host": (421, {"Host": f"evil.example:{live.port}", **auth, **json_ct}),
            "Host on another port": (421, {"Host": f"127.0.0.1:{live.port + 1}", **auth, **json_ct}),
            "no token": (401, {**host, **json_ct}),
            "guessed token": (401, {**host, **json_ct, "Authorization": f"Bearer {secrets.token_urlsafe(32)}"}),
            "token from another extension's origin": (401, {**host, **auth, **json_ct,
                                                             "Origin": "chrome-extension://intruder"}),
        }
        refused = {}
        for name, (expected, headers) in probes.items():
            status = _raw(live.port, "POST", "/v1/analyze", headers, body)
            assert status == expected, (name, status)
            refused[name] = status

        guesses = [_raw(live.port, "POST", "/v1/analyze",
                        {**host, **json_ct, "Authorization": f"Bearer {secrets.token_urlsafe(32)}"}, body)
                   for _ in range(200)]
        assert set(guesses) == {401}

        # Revoked token.
        [pairing] = live.services.pairing.list()
        live.services.pairing.revoke(pairing["id"])
        assert _raw(live.port, "POST", "/v1/analyze", {**host, **auth, **json_ct}, body) == 401

        # Flood of pairing requests from one address: limited.
        flood = [live.session.post(f"{live.base}/v1/pair/request", json={"extension_id": f"x{i}", "name": "f"}).status_code
                 for i in range(40)]
        assert flood.count(202) <= 10 and flood.count(429) >= 30
        assert live.session.get(f"{live.base}/v1/health").status_code == 200
    finally:
        live.stop()

    leaked = [r.getMessage() for r in caplog.records if MARKER in r.getMessage()]
    assert not leaked
    logged_refusals = [r for r in caplog.records if r.levelno >= logging.WARNING and "refused" in r.getMessage()]
    assert len(logged_refusals) >= 6
    FIGURES["Hostile callers"] = {
        "probes refused": {**refused, "revoked token": 401},
        "guessed tokens tried / accepted": f"{len(guesses)} / 0",
        "pairing flood (40 requests, one address)": f"{flood.count(202)} accepted, {flood.count(429)} refused with 429",
        "log lines containing post text": 0,
    }
