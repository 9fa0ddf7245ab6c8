"""POST /v1/feedback: stored in the vault; hide_author also mutes the author."""

from __future__ import annotations

from helpers import Extension, assert_error


def test_feedback_is_stored(ext: Extension) -> None:
    r = ext.post("/v1/feedback", json={"kind": "less", "site": "x", "post_id": "p1", "author": "@a", "lang": "en"})
    assert r.status_code == 201, r.json
    assert r.json["ok"] is True and isinstance(r.json["id"], int)
    stored = ext.app.extensions["feedlens"].vault.feedback_list()
    assert stored[0]["kind"] == "less_like_this" and stored[0]["post_id"] == "p1" and stored[0]["author"] == "@a"


def test_hide_author_mutes_the_author_in_the_same_write(ext: Extension) -> None:
    before = ext.get("/v1/profile").json
    r = ext.post("/v1/feedback", json={"kind": "hide_author", "site": "x", "post_id": "p1", "author": "@loud"})
    assert r.status_code == 201
    after = ext.get("/v1/profile").json
    assert after["mutes"]["accounts"] == ["@loud"] and after["version"] == before["version"] + 1
    assert r.json["profile_version"] == after["version"]
    ext.post("/v1/feedback", json={"kind": "hide_author", "site": "x", "post_id": "p2", "author": "@loud"})
    assert ext.get("/v1/profile").json["mutes"]["accounts"] == ["@loud"]  # not twice


def test_bad_feedback_is_400_and_stores_nothing(ext: Extension) -> None:
    body = assert_error(ext.post("/v1/feedback", json={"kind": "love", "post_id": "p"}), 400, "invalid_request")
    assert "hide_author" in body["error"]  # the valid kinds are listed
    assert_error(ext.post("/v1/feedback", json={"kind": "more", "secret_field": 1}), 400)
    assert_error(ext.post("/v1/feedback", json={"post_id": "p"}), 400)
    assert_error(ext.post("/v1/feedback", json={"kind": "more", "text": "x" * 30_000}), 413)
    assert ext.app.extensions["feedlens"].vault.counts()["feedback"] == 0


def test_feedback_needs_a_token(client) -> None:
    from helpers import BASE

    assert_error(client.post("/v1/feedback", base_url=BASE, json={"kind": "more"}), 401)


def test_feedback_on_an_analysed_post_carries_its_text_to_the_vault(ext: Extension) -> None:
    r = ext.post("/v1/analyze", json={"site": "x", "posts": [{"id": "p9", "text": "A calm post about gardening"}]})
    assert r.status_code == 200
    r = ext.post("/v1/feedback", json={"kind": "more", "site": "x", "post_id": "p9"})
    assert r.status_code == 201 and isinstance(r.json["learned"], bool)
    stored = ext.app.extensions["feedlens"].vault.feedback_list()[0]
    assert stored["text"] == "A calm post about gardening" and stored["kind"] == "more_like_this"
    # A post the companion never saw: stored without text.
    ext.post("/v1/feedback", json={"kind": "less", "site": "x", "post_id": "unknown"})
    assert "text" not in ext.app.extensions["feedlens"].vault.feedback_list()[0]
