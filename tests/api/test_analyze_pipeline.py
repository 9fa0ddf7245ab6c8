"""/v1/analyze end to end through the decision layer, the verdict cache and translation."""

from helpers import assert_error


def _profile(ext, **changes):
    doc = ext.get("/v1/profile").json
    doc.update(changes)
    r = ext.put("/v1/profile", doc)
    assert r.status_code == 200, r.json
    return r.json


def _verdicts(ext, posts, **extra):
    r = ext.post("/v1/analyze", {"site": "x", "posts": posts, **extra})
    assert r.status_code == 200, r.json
    return {v["id"]: v for v in r.json["verdicts"]}


def test_muted_word_hides_the_post_with_a_reason(ext):
    _profile(ext, mutes={"words": ["crypto"], "phrases": [], "regexes": [], "accounts": []})
    v = _verdicts(ext, [{"id": "m", "text": "Huge #CryptoNews today, buy now"}, {"id": "ok", "text": "Lovely weather"}])
    assert v["m"]["action"] == "hide"
    [reason] = [r for r in v["m"]["reasons"] if r["kind"] == "muted_word"]
    assert reason["value"] == "crypto" and reason["text"]
    assert v["ok"]["action"] == "show"


def test_allow_listed_author_is_never_hidden(ext):
    _profile(ext, mutes={"words": ["crypto"], "phrases": [], "regexes": [], "accounts": []},
             allow={"accounts": ["@friend"]})
    [v] = _verdicts(ext, [{"id": "1", "text": "crypto crypto", "author": "@friend"}]).values()
    assert v["action"] in ("show", "badge")
    assert any(r["kind"] == "allowed_account" for r in v["reasons"])


def test_profile_change_reaches_the_next_verdict_despite_the_cache(ext):
    post = [{"id": "1", "text": "Selling my old bike, DM me"}]
    assert _verdicts(ext, post)["1"]["action"] == "show"
    assert _verdicts(ext, post)["1"]["action"] == "show"
    hits = ext.get("/v1/status").json["models"]["verdict_cache"]["hits"]
    assert hits >= 1  # the re-rendered post came from the cache
    _profile(ext, mutes={"words": ["bike"], "phrases": [], "regexes": [], "accounts": []})
    assert _verdicts(ext, post)["1"]["action"] == "hide"


def test_translate_true_translates_portuguese_with_the_built_in_pair(ext):
    _profile(ext, languages=["en"], auto_translate=False)
    v = _verdicts(ext, [{"id": "pt", "text": "Bom dia a todos! Hoje o dia está lindo."},
                        {"id": "en", "text": "Good morning everyone, what a lovely day."}], translate=True)
    tr = v["pt"]["translation"]
    assert tr["from"] == "pt" and tr["to"] == "en"
    assert tr["text"] and tr["text"] != "Bom dia a todos! Hoje o dia está lindo."
    assert "translation" not in v["en"]  # the person reads English


def test_no_translation_without_request_when_auto_translate_is_off(ext):
    _profile(ext, languages=["en"], auto_translate=False)
    v = _verdicts(ext, [{"id": "pt", "text": "Bom dia a todos! Hoje o dia está lindo."}])
    assert "translation" not in v["pt"]


def test_language_without_a_model_says_which_pull_fixes_it(ext):
    _profile(ext, languages=["en"], auto_translate=True)
    v = _verdicts(ext, [{"id": "de", "text": "Guten Morgen zusammen, wie geht es euch allen heute?"}])
    tr = v["de"]["translation"]
    assert "text" not in tr and "feedlens models pull" in tr["error"]


def test_invalid_profile_is_refused_and_changes_nothing(ext):
    before = ext.get("/v1/profile").json
    r = ext.put("/v1/profile", {**before, "dials": {"hate": "extreme"}})
    assert "off, low, medium, high, strict" in assert_error(r, 400)["error"]
    assert ext.get("/v1/profile").json == before
