"""Post text, handles and URLs never reach the log above DEBUG."""

import logging

MARKER = "zqxmarker7731"


def test_post_text_is_not_logged_above_debug(ext, caplog):
    caplog.set_level(logging.INFO)
    posts = [{"id": "1", "text": f"secret {MARKER} text", "author": f"@{MARKER}", "url": f"https://x.com/{MARKER}"}]
    assert ext.post("/v1/analyze", {"site": "x", "posts": posts}).status_code == 200
    ext.post("/v1/analyze", {"site": "x", "posts": [{"id": 1, "text": MARKER}]})  # a refused body
    ext.post("/v1/analyze", {"site": "x", "posts": posts}, headers={"Origin": "https://evil.example"})
    assert caplog.records, "expected some log records (refusals are logged)"
    assert not [r for r in caplog.records if MARKER in r.getMessage()]
