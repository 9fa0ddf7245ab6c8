"""GET /v1/export, POST /v1/erase, GET /v1/stats, and retention at start."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from companion.app import create_app
from helpers import PORT, Extension, assert_error


def _fill(ext: Extension) -> None:
    ext.put("/v1/profile", json={"languages": ["en", "zh"], "mutes": {"words": ["marker-word"]}})
    ext.post("/v1/feedback", json={"kind": "more", "site": "x", "post_id": "p1"})
    vault = ext.app.extensions["feedlens"].vault
    vault.seen_add_many([{"text": "a post", "site": "x", "author": "@a", "lang": "en", "action": "hide", "reasons": ["toxicity"]}])
    vault.interactions_add_many([{"src": "@a", "dst": "@b", "kind": "reply", "site": "x"}])


def test_export_is_one_schema_versioned_document(ext: Extension) -> None:
    _fill(ext)
    r = ext.get("/v1/export")
    assert r.status_code == 200
    assert "attachment" in r.headers["Content-Disposition"] and r.headers["Cache-Control"] == "no-store"
    doc = r.json
    assert doc["format"] == "feedlens-vault-export" and isinstance(doc["schema"], int)
    assert doc["profile"]["mutes"]["words"] == ["marker-word"]
    assert len(doc["feedback"]) == 1 and len(doc["seen"]) == 1 and len(doc["interactions"]) == 1
    assert len(doc["pairings"]) == 1 and "a post" not in r.get_data(as_text=True)


def test_erase_keeping_pairings(ext: Extension) -> None:
    _fill(ext)
    r = ext.post("/v1/erase", json={"keep_pairings": True})
    assert r.status_code == 200 and r.json == {"ok": True, "kept_pairings": True}
    doc = ext.get("/v1/export").json  # the token still works
    assert doc["feedback"] == [] and doc["seen"] == [] and doc["interactions"] == []
    assert doc["profile"]["mutes"]["words"] == [] and len(doc["pairings"]) == 1


def test_erase_everything_unpairs_too(ext: Extension) -> None:
    _fill(ext)
    r = ext.post("/v1/erase")
    assert r.status_code == 200 and r.json["kept_pairings"] is False
    assert_error(ext.get("/v1/export"), 401)
    assert ext.app.extensions["feedlens"].vault.counts()["pairings"] == 0


def test_erase_with_a_bad_body_erases_nothing(ext: Extension) -> None:
    _fill(ext)
    assert_error(ext.post("/v1/erase", json={"keep_pairings": "yes"}), 400, "invalid_request")
    assert_error(ext.post("/v1/erase", json={"everything": True}), 400)
    assert len(ext.get("/v1/export").json["feedback"]) == 1


def test_stats(ext: Extension) -> None:
    _fill(ext)
    r = ext.get("/v1/stats?days=7")
    assert r.status_code == 200
    assert r.json["days"] == 7 and r.json["totals"]["seen"] == 1
    assert r.json["actions_by_reason"] == [{"action": "hide", "reason": "toxicity", "count": 1}]
    assert_error(ext.get("/v1/stats?days=0"), 400)
    assert_error(ext.get("/v1/stats?days=soon"), 400)


def test_retention_purges_old_seen_posts_at_start(data_dir) -> None:
    app = create_app({"data_dir": data_dir, "port": PORT, "retention_days": 10})
    vault = app.extensions["feedlens"].vault
    old = (datetime.now(timezone.utc) - timedelta(days=11)).isoformat()
    vault.seen_add_many([{"hash": "old", "site": "x", "time": old}, {"hash": "new", "site": "x"}])
    app.extensions["feedlens"].close()
    app2 = create_app({"data_dir": data_dir, "port": PORT, "retention_days": 10})
    try:
        hashes = [r["hash"] for r in app2.extensions["feedlens"].vault.export()["seen"]]
        assert hashes == ["new"]
    finally:
        app2.extensions["feedlens"].close()


def test_analyze_records_hashes_and_mentions_never_text(ext: Extension) -> None:
    posts = [{"id": "1", "text": "hello @bob and @carol@mastodon.social, mail me at x@y.com", "author": "@alice"},
             {"id": "2", "text": "Bom dia a todos!", "author": "@dora"}]
    r = ext.post("/v1/analyze", json={"site": "mastodon", "posts": posts})
    assert r.status_code == 200, r.json
    doc = ext.get("/v1/export").json
    assert {s["author"] for s in doc["seen"]} == {"@alice", "@dora"}
    assert {s["lang"] for s in doc["seen"]} == {"en", "pt"}
    assert sorted(e["dst"] for e in doc["interactions"]) == ["@bob", "@carol@mastodon.social"]
    assert "hello" not in str(doc["seen"]) and "Bom dia" not in str(doc)
    stats = ext.get("/v1/stats").json
    assert stats["totals"]["seen"] == 2 and len(stats["interactions"]) == 2


def test_retention_runs_again_on_its_timer(data_dir, monkeypatch) -> None:
    import time

    from companion import services as services_module

    monkeypatch.setattr(services_module, "RETENTION_INTERVAL_S", 0.05)
    app = create_app({"data_dir": data_dir, "port": PORT, "retention_days": 10})
    services = app.extensions["feedlens"]
    try:
        old = (datetime.now(timezone.utc) - timedelta(days=11)).isoformat()
        services.vault.seen_add_many([{"hash": "old", "site": "x", "time": old}])
        deadline = time.monotonic() + 10
        while services.vault.counts()["seen"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert services.vault.counts()["seen"] == 0
    finally:
        services.close()


def test_erase_also_forgets_what_the_process_derived(ext: Extension) -> None:
    services = ext.app.extensions["feedlens"]
    ext.post("/v1/analyze", json={"site": "x", "posts": [{"id": "p1", "text": "some post"}]})
    assert services.recent_text("x", "p1") == "some post"
    assert ext.post("/v1/erase", json={"keep_pairings": True}).status_code == 200
    assert services.recent_text("x", "p1") is None
    assert len(services.analyzer.cache) == 0
    if services.analyzer.interest is not None:
        assert services.analyzer.interest.events == 0
