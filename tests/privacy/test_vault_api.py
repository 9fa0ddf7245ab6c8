"""The vault's public API, on a real SQLCipher file keyed from a test keyring."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from privacy.errors import InvalidRecord, VaultError
from privacy.vault import Vault


def test_first_run_gives_default_profile_with_version(vault: Vault) -> None:
    doc = vault.profile_get()
    assert doc["version"] == 1 == vault.profile_version()
    assert {"languages", "auto_translate", "dials", "mutes", "allow", "topics", "sites"} <= set(doc)


def test_profile_put_bumps_version_and_round_trips_any_json(vault: Vault) -> None:
    doc = {
        "languages": ["en", "zh"],
        "mutes": {"words": ["crypto", {"value": "nft", "site": "x", "until": "2027-01-01"}], "regexes": ["giveaway\\s+now"],
                  "accounts": ["@spammer"], "phrases": []},
        "allow": {"accounts": ["@friend"]},
        "dials": {"toxicity": "high"},
        "future_field": {"nested": [1, 2.5, None, True, "文字"]},
        "version": 99,  # ignored: the vault owns the version
    }
    stored = vault.profile_put(doc)
    assert stored["version"] == 2
    expected = {k: v for k, v in doc.items() if k != "version"}
    assert {k: v for k, v in stored.items() if k != "version"} == expected
    assert {k: v for k, v in vault.profile_get().items() if k != "version"} == expected
    assert vault.profile_put(stored)["version"] == 3


def test_mutes_and_allow_lists_live_in_the_rules_table(vault: Vault) -> None:
    vault.profile_put({"mutes": {"words": ["a", "b"], "accounts": ["@x"]}, "allow": {"accounts": ["@y"]}})
    rows = list(vault.db.query("SELECT list, kind, value FROM rules ORDER BY list, kind, position"))
    assert rows == [
        {"list": "allow", "kind": "accounts", "value": "@y"},
        {"list": "mutes", "kind": "accounts", "value": "@x"},
        {"list": "mutes", "kind": "words", "value": "a"},
        {"list": "mutes", "kind": "words", "value": "b"},
    ]
    assert "@x" not in vault.db.execute("SELECT doc FROM profile").fetchone()[0]


def test_profile_put_rejects_non_object(vault: Vault) -> None:
    with pytest.raises(InvalidRecord, match="JSON object"):
        vault.profile_put(["not", "a", "dict"])  # type: ignore[arg-type]
    assert vault.profile_version() == 1


def test_pairings_store_interface(vault: Vault) -> None:
    vault.pairings.add({"id": "p1", "extension_id": "chrome-extension://abc", "name": "Chrome",
                        "token_hash": "h1", "created": 1764590400.5})
    listed = vault.pairings.list()
    assert listed == [{"id": "p1", "extension_id": "chrome-extension://abc", "name": "Chrome",
                       "created": 1764590400.5, "last_used": None, "revoked": False}]
    found = vault.pairings.find_by_token_hash("h1")
    assert found is not None and found["id"] == "p1" and "token_hash" not in found
    before = time.time()
    vault.pairings.touch("p1")
    assert vault.pairings.list()[0]["last_used"] >= before  # epoch seconds, as the pairing service expects
    assert vault.pairings.find_by_token_hash("nope") is None
    assert vault.pairings.revoke("p1") is True
    assert vault.pairings.revoke("p1") is False
    assert vault.pairings.find_by_token_hash("h1") is None
    assert vault.pairings.list()[0]["revoked"] is True


def test_pairing_requests_are_stored_and_updated(vault: Vault) -> None:
    now = time.time()
    req = {"id": "r1", "code": "K7P3QX", "extension_id": "abc", "name": "Chrome", "created": now,
           "expires_at": now + 300, "status": "pending"}
    vault.pairings.request_add(req)
    vault.pairings.request_add({**req, "id": "old", "created": now - 9000, "expires_at": now - 8000})
    vault.pairings.request_add({**req, "id": "r2"})  # adding prunes requests that ended over an hour ago
    assert [r["id"] for r in vault.pairings.requests()] == ["r1", "r2"]
    vault.pairings.request_update("r1", status="approved")
    assert vault.pairings.request_get("r1") == {**req, "status": "approved"}
    assert vault.pairings.request_get("nope") is None
    with pytest.raises(InvalidRecord, match="cannot update"):
        vault.pairings.request_update("r1", token="x")


def test_default_profile_can_be_the_callers(test_keyring: object, data_dir: Path) -> None:
    with Vault.open(data_dir, default_profile={"version": 1, "dials": {"hate": "low"}, "mutes": {"words": []}}) as v:
        assert v.profile_get() == {"version": 1, "dials": {"hate": "low"}, "mutes": {"words": []}}
        v.profile_put({"dials": {"hate": "high"}, "mutes": {"words": ["x"]}})
        v.erase()
        assert v.profile_get() == {"version": 3, "dials": {"hate": "low"}, "mutes": {"words": []}}


def test_older_vault_is_migrated_on_open(test_keyring: object, data_dir: Path) -> None:
    from sqlite_utils import Database

    from privacy import driver, keys
    from privacy.migrations import latest_version, migrations

    import keyring as kr

    Vault.open(data_dir).close()  # creates the key in the test keyring
    key = bytes.fromhex(kr.get_password(keys.SERVICE, keys.keyring_entry(data_dir)))
    (data_dir / "vault.db").unlink()  # start over with a vault at schema 1
    conn = driver.connect(data_dir / "vault.db", key)
    db = Database(conn)
    migrations.apply(db, stop_before="m002_pair_requests")
    db["feedback"].insert({"time": "2026-01-01T00:00:00Z", "kind": "more", "data": "{}"})
    assert "pair_requests" not in db.table_names()
    conn.close()
    with Vault.open(data_dir) as v:
        assert "pair_requests" in v.db.table_names() and v.counts()["feedback"] == 1
        assert v.export()["schema"] == latest_version() == 2


def test_pairing_missing_token_hash_is_rejected(vault: Vault) -> None:
    with pytest.raises(InvalidRecord, match="token_hash"):
        vault.pairings.add({"id": "p1", "extension_id": "e", "name": "n", "created": 0})
    assert vault.pairings.list() == []


def test_feedback_add_returns_increasing_ids(vault: Vault) -> None:
    first = vault.feedback_add({"kind": "less_like_this", "site": "x", "text": "some post", "author": "@a"})
    second = vault.feedback_add({"kind": "wrong_label", "label": "toxicity", "post_hash": "abc"})
    assert second > first
    latest = vault.feedback_list()
    assert latest[0]["kind"] == "wrong_label" and latest[1]["post_hash"] == hashlib.sha256(b"some post").hexdigest()
    with pytest.raises(InvalidRecord, match="kind"):
        vault.feedback_add({"site": "x"})


def test_seen_posts_keep_only_the_text_hash(vault: Vault) -> None:
    vault.seen_add_many([{"text": "the post's words", "site": "x", "author": "@a", "lang": "en",
                          "sentiment": {"label": "negative", "score": 0.8}, "scores": {"toxicity": 0.9},
                          "action": "hide", "reasons": ["toxicity"], "url": "https://x.com/a/1"}])
    columns = {c.name for c in vault.db["seen"].columns}
    assert "text" not in columns and "url" not in columns
    row = next(vault.db.query("SELECT * FROM seen"))
    assert row["hash"] == hashlib.sha256("the post's words".encode()).hexdigest()
    assert "the post's words" not in str(row)


def test_seen_again_updates_verdict_but_keeps_first_seen_time(vault: Vault) -> None:
    vault.seen_add_many([{"hash": "h", "site": "x", "action": "show", "time": "2026-11-01T00:00:00Z"}])
    vault.seen_add_many([{"hash": "h", "site": "x", "action": "hide", "reasons": ["spam"]}])
    rows = list(vault.db.query("SELECT action, time FROM seen"))
    assert rows == [{"action": "hide", "time": "2026-11-01T00:00:00Z"}]


def test_a_bad_row_in_a_batch_writes_nothing(vault: Vault) -> None:
    with pytest.raises(InvalidRecord, match="kind must be one of reply, quote, mention"):
        vault.interactions_add_many([{"src": "@a", "dst": "@b", "kind": "reply", "site": "x"},
                                     {"src": "@a", "dst": "@c", "kind": "like", "site": "x"}])
    with pytest.raises(InvalidRecord, match="site"):
        vault.seen_add_many([{"hash": "ok", "site": "x"}, {"hash": "bad"}])
    assert vault.counts()["interactions"] == 0 and vault.counts()["seen"] == 0


def test_translations_cache(vault: Vault) -> None:
    vault.translations_put_many({"k1": "hello", "k2": "你好"})
    assert vault.translations_get_many(["k1", "k2", "k3"]) == {"k1": "hello", "k2": "你好"}
    many = {f"key{i}": f"v{i}" for i in range(1200)}  # more than one IN-chunk
    vault.translations_put_many(many)
    assert vault.translations_get_many(list(many)) == many
    with pytest.raises(InvalidRecord):
        vault.translations_put_many({"k": 1})  # type: ignore[dict-item]


def test_interactions_dedupe_same_edge_from_same_post(vault: Vault) -> None:
    edge = {"src": "@a", "dst": "@b", "kind": "quote", "site": "bluesky", "post_hash": "p"}
    vault.interactions_add_many([edge, edge, {**edge, "post_hash": "q"}])
    assert vault.counts()["interactions"] == 2


def test_stats_aggregates(vault: Vault) -> None:
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    vault.seen_add_many([
        {"hash": "1", "site": "x", "author": "@a", "lang": "en", "sentiment": "positive", "action": "show"},
        {"hash": "2", "site": "x", "author": "@a", "lang": "en", "sentiment": "negative", "action": "hide", "reasons": ["toxicity", "mute:word"]},
        {"hash": "3", "site": "x", "author": "@b", "lang": "zh", "sentiment": "neutral", "action": "blur", "reasons": ["toxicity"]},
        {"hash": "old", "site": "x", "author": "@c", "time": "2020-01-01T00:00:00Z"},
    ])
    vault.interactions_add_many([{"src": "@a", "dst": "@b", "kind": "reply", "site": "x"}])
    stats = vault.stats(days=30)
    assert stats["totals"]["seen"] == 3 and stats["totals"]["filtered"] == 2
    assert stats["sentiment_by_day"] == [{"day": today, "negative": 1, "neutral": 1, "positive": 1, "unknown": 0}]
    assert {"action": "hide", "reason": "toxicity", "count": 1} in stats["actions_by_reason"]
    assert stats["languages"][0] == {"lang": "en", "count": 2}
    assert stats["top_authors"][0] == {"author": "@a", "site": "x", "count": 2, "avg_sentiment": 0.0}
    assert stats["interactions"] == [{"src": "@a", "dst": "@b", "kind": "reply", "site": "x", "count": 1}]
    with pytest.raises(InvalidRecord):
        vault.stats(days=0)


def test_retention_purges_old_seen_posts(vault: Vault) -> None:
    old = (datetime.now(timezone.utc) - timedelta(days=40)).isoformat()
    vault.seen_add_many([{"hash": "old", "site": "x", "time": old}, {"hash": "new", "site": "x"}])
    vault.translations_put_many({"k": "v"})
    assert vault.purge_seen_older_than(30) == 1
    assert [r["hash"] for r in vault.db.query("SELECT hash FROM seen")] == ["new"]
    assert vault.translations_get_many(["k"]) == {"k": "v"}
    with pytest.raises(InvalidRecord):
        vault.purge_seen_older_than(-1)


def _fill(vault: Vault) -> None:
    vault.profile_put({**vault.profile_get(), "mutes": {"words": ["w"], "accounts": ["@m"]}})
    vault.pairings.add({"id": "p", "extension_id": "e", "name": "n", "token_hash": "t", "created": 1})
    vault.feedback_add({"kind": "more", "text": "t"})
    vault.seen_add_many([{"text": "s", "site": "x", "scores": {"spam": 0.5}, "reasons": ["spam"], "sentiment": {"label": "neutral", "score": 0.4}}])
    vault.translations_put_many({"k": "v"})
    vault.interactions_add_many([{"src": "@a", "dst": "@b", "kind": "mention", "site": "x"}])


def _without_versions(doc: dict) -> dict:
    doc = dict(doc)
    doc.pop("exported_at")
    doc["profile"] = {k: v for k, v in doc["profile"].items() if k != "version"}
    return doc


def test_export_erase_import_round_trips(vault: Vault) -> None:
    _fill(vault)
    exported = vault.export()
    assert exported["schema"] == 2 and exported["format"] == "feedlens-vault-export"
    version = vault.profile_version()
    vault.erase()
    assert vault.counts() == {"profile": 1, "pairings": 0, "pair_requests": 0, "rules": 0, "feedback": 0, "seen": 0, "translations": 0, "interactions": 0}
    assert vault.profile_version() > version  # the verdict cache never matches a pre-erase version
    vault.import_(exported)
    assert _without_versions(vault.export()) == _without_versions(exported)


def test_erase_can_keep_pairings(vault: Vault) -> None:
    _fill(vault)
    vault.erase(keep_pairings=True)
    assert vault.pairings.find_by_token_hash("t") is not None
    assert vault.counts()["feedback"] == 0


def test_import_of_a_bad_document_changes_nothing(vault: Vault) -> None:
    _fill(vault)
    before = _without_versions(vault.export())
    good = vault.export()
    for bad, message in [
        ({"schema": 1}, "not a Feedlens vault export"),
        ({**good, "schema": 999}, "schema 999 is not supported"),
        ({**good, "seen": [{"hash": "ok", "site": "x"}, {"site": "x"}]}, "seen post"),
        ({**good, "interactions": "nope"}, "must be a list"),
    ]:
        with pytest.raises(InvalidRecord, match=message):
            vault.import_(bad)
    assert _without_versions(vault.export()) == before


def test_closed_vault_says_so(vault: Vault) -> None:
    vault.close()
    vault.close()  # idempotent
    with pytest.raises(VaultError, match="closed"):
        vault.profile_get()


def test_reopen_keeps_data_and_integrity(test_keyring: object, data_dir: Path) -> None:
    with Vault.open(data_dir) as v:
        _fill(v)
        exported = _without_versions(v.export())
    with Vault.open(data_dir) as v:
        assert v.integrity_check() == []
        assert _without_versions(v.export()) == exported


def test_concurrent_writers_are_serialised(vault: Vault) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(25):
                vault.feedback_add({"kind": "more", "n": n, "i": i})
                vault.profile_put({"languages": [f"l{n}"]})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert vault.counts()["feedback"] == 100
    assert vault.profile_version() == 101


def test_transaction_groups_calls_all_or_nothing(vault: Vault) -> None:
    with pytest.raises(InvalidRecord):
        with vault.transaction():
            vault.feedback_add({"kind": "hide_author", "author": "@a"})
            vault.profile_put({"mutes": {"accounts": ["@a"]}})
            vault.interactions_add_many([{"kind": "bad"}])
    assert vault.counts()["feedback"] == 0 and vault.profile_version() == 1
    with vault.transaction():
        vault.feedback_add({"kind": "hide_author", "author": "@a"})
        vault.profile_put({"mutes": {"accounts": ["@a"]}})
    assert vault.counts()["feedback"] == 1 and vault.profile_get()["mutes"]["accounts"] == ["@a"]
