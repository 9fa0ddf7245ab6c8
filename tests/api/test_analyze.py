"""``POST /v1/analyze``: real language ID, the response shape, and every kind of bad input."""

import pytest

from helpers import assert_error


def _analyze(ext, posts, site="x", **extra):
    return ext.post("/v1/analyze", {"site": site, "posts": posts, **extra})


def test_analyze_detects_languages(ext):
    posts = [{"id": "a", "text": "Bom dia a todos!"}, {"id": "b", "text": "今天天气真好"},
             {"id": "c", "text": "This is fine"}, {"id": "d", "text": "Guten Morgen, wie geht es euch allen heute?"}]
    r = _analyze(ext, posts)
    assert r.status_code == 200, r.json
    got = {v["id"]: v["lang"] for v in r.json["verdicts"]}
    assert got == {"a": "pt", "b": "zh", "c": "en", "d": "de"}


def test_verdicts_keep_order_and_shape(ext):
    posts = [{"id": str(i), "text": t} for i, t in enumerate(["one two three four five", "今天天气真好", "hola a todos mis amigos"])]
    verdicts = _analyze(ext, posts).json["verdicts"]
    assert [v["id"] for v in verdicts] == ["0", "1", "2"]
    for v in verdicts:
        assert {"id", "lang", "lang_confidence", "action", "reasons"} <= set(v)
        assert 0.0 <= v["lang_confidence"] <= 1.0
        assert v["action"] in ("show", "badge", "blur", "collapse", "hide")


def test_lang_hint_wins_only_when_text_is_too_short(ext):
    posts = [{"id": "short", "text": "lol ok", "lang_hint": "pt-BR"},
             {"id": "long", "text": "This is clearly a sentence written in English, no doubt.", "lang_hint": "pt"}]
    got = {v["id"]: v["lang"] for v in _analyze(ext, posts).json["verdicts"]}
    assert got == {"short": "pt", "long": "en"}


def test_text_without_letters_is_undetermined(ext):
    [v] = _analyze(ext, [{"id": "1", "text": "😀😀 https://example.com #tag"}]).json["verdicts"]
    assert v["lang"] == "und" and v["lang_confidence"] == 0.0


def test_empty_batch_gives_no_verdicts(ext):
    assert _analyze(ext, []).json == {"verdicts": []}


@pytest.mark.parametrize("body, fragment", [
    ({"posts": []}, "'site' is a required property"),
    ({"site": "myspace", "posts": []}, "not one of x, reddit, mastodon, bluesky, youtube, weibo"),
    ({"site": "x", "posts": [{"id": "1"}]}, "'text' is a required property"),
    ({"site": "x", "posts": [{"id": "1", "text": ""}]}, "body.posts[0].text: must not be empty"),
    ({"site": "x", "posts": [{"id": 1, "text": "hi"}]}, "body.posts[0].id: 1 is not of type 'string'"),
    ({"site": "x", "posts": "hello"}, "body.posts: 'hello' is not of type 'array'"),
    ({"site": "x", "posts": [], "translate": "yes"}, "body.translate"),
    ({"site": "x", "posts": [], "colour": "red"}, "allowed fields"),
    ([1, 2, 3], "is not of type 'object'"),
])
def test_bad_bodies_get_400_naming_the_field(ext, body, fragment):
    r = ext.post("/v1/analyze", body)
    err = assert_error(r, 400, "invalid_request")
    assert fragment in err["error"] + " ".join(err["errors"])


def test_malformed_json_is_400(ext):
    r = ext.post("/v1/analyze", data='{"site": "x", "posts": [', headers={"Content-Type": "application/json"})
    assert "not valid JSON" in assert_error(r, 400)["error"]


def test_invalid_utf8_is_400(ext):
    r = ext.post("/v1/analyze", data=b'{"site": "x", "posts": [{"id": "1", "text": "\xff\xfe"}]}',
                 headers={"Content-Type": "application/json"})
    assert "UTF-8" in assert_error(r, 400)["error"]


def test_wrong_content_type_is_400(ext):
    r = ext.post("/v1/analyze", data="site=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "application/json" in assert_error(r, 400)["error"]


def test_ten_thousand_posts_is_413(ext):
    posts = [{"id": str(i), "text": "hi"} for i in range(10_000)]
    assert "at most 200" in assert_error(_analyze(ext, posts), 413, "too_large")["error"]


def test_enormous_text_is_413(ext):
    assert "limit is 20000" in assert_error(_analyze(ext, [{"id": "1", "text": "x" * 20_001}]), 413)["error"]


def test_companion_keeps_serving_after_bad_input(ext):
    ext.post("/v1/analyze", data=b"\xff", headers={"Content-Type": "application/json"})
    _analyze(ext, [{"id": str(i), "text": "hi"} for i in range(10_000)])
    assert _analyze(ext, [{"id": "1", "text": "This is fine"}]).status_code == 200


def test_wrong_method_is_405_in_the_error_shape(ext):
    assert_error(ext.get("/v1/analyze"), 405)


def test_unknown_route_is_404_in_the_error_shape(ext):
    assert_error(ext.get("/v1/nope"), 404)


def test_status_reports_models_and_pause(ext):
    body = ext.get("/v1/status").json
    assert body["paused"] is False
    assert body["models"]["langid"]["loaded"] is True
    assert "encoder" in body["models"]


def test_paused_companion_filters_nothing(ext):
    ext.app.extensions["feedlens"].set_paused(True)
    [v] = _analyze(ext, [{"id": "1", "text": "This is fine"}]).json["verdicts"]
    assert v["action"] == "show" and v["reasons"] == []
    assert ext.get("/v1/status").json["paused"] is True


def test_health_reveals_nothing_personal(client):
    from helpers import BASE

    body = client.get("/v1/health", base_url=BASE).json
    assert set(body) == {"ok", "service", "version"}
