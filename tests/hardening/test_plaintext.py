"""No plaintext at rest: marker strings written through every path (profile, mutes, topics, feedback,
seen posts, translations, pairing names) never appear in any file outside the encrypted vault's
ciphertext — not in the data directory, the logs, or temporary files."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from hardtools import FIGURES, pair_with_cli, start_serve

MARKERS = {
    "mute": "mutemarkerqv81",
    "topic": "topicmarkerzk27",
    "feedback": "feedbackmarkerjw55",
    "post": "postmarkerxh43",
    "author": "authormarkerpb19",
    "translation": "Obrigadomarcadorty",
    "pairing": "pairnamemarkernm6",
}


def _scan(roots: list[Path]) -> tuple[int, list[str]]:
    files, hits = 0, []
    needles = [m.encode() for m in MARKERS.values()] + [m.encode("utf-16-le") for m in MARKERS.values()]
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                files += 1
                data = path.read_bytes()
                hits += [f"{path}: {n!r}" for n in needles if n in data]
    return files, hits


def test_no_marker_string_reaches_any_file_in_plaintext(tmp_path):
    home, tmp, log = tmp_path / "home", tmp_path / "tmp", tmp_path / "companion.log"
    tmp.mkdir()
    env = {**os.environ, "FEEDLENS_HOME": str(home), "FEEDLENS_PASSPHRASE": "plaintext-test-passphrase",
           "TMPDIR": str(tmp)}
    with open(log, "w") as logfile:
        proc, base, s = start_serve(env, "-v", stderr=logfile)
        try:
            h = pair_with_cli(s, base, env, "plaintexttest", name=MARKERS["pairing"])
            doc = s.get(f"{base}/v1/profile", headers=h).json()
            doc["mutes"]["words"] = [MARKERS["mute"]]
            doc["topics"] = [{"text": MARKERS["topic"], "action": "collapse"}]
            assert s.put(f"{base}/v1/profile", json=doc, headers=h).status_code == 200
            posts = [{"id": "1", "text": f"A post about {MARKERS['post']} and more", "author": f"@{MARKERS['author']}"},
                     {"id": "2", "text": f"{MARKERS['translation']} a todos, bom dia!", "author": "@ana"}]
            assert s.post(f"{base}/v1/analyze", json={"site": "x", "posts": posts, "translate": True},
                          headers=h).status_code == 200
            assert s.post(f"{base}/v1/translate", json={"texts": [f"{MARKERS['translation']} pelo bom dia."],
                                                         "from": "pt", "to": "en"}, headers=h).status_code == 200
            assert s.post(f"{base}/v1/feedback", headers=h, json={
                "kind": "less", "site": "x", "post_id": "1", "text": f"less of {MARKERS['feedback']}"}).status_code == 201
            # The markers really went in: the export shows them (decrypted by the companion).
            exported = s.get(f"{base}/v1/export", headers=h).text
            for name in ("mute", "topic", "feedback", "pairing"):
                assert MARKERS[name] in exported, name
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
            proc.stdout.close()
    files, hits = _scan([home, tmp, log.parent])
    assert files >= 3
    assert hits == []
    FIGURES["No plaintext at rest"] = {
        "marker strings written (profile, mutes, topics, feedback, posts, authors, translations, pairing name)":
            len(MARKERS),
        "files scanned (data dir, TMPDIR, logs at -v)": files,
        "marker occurrences found (UTF-8 or UTF-16)": len(hits),
    }
