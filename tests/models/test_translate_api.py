"""``POST /v1/translate`` through the real app: built-in pair, errors, limits, guard."""

from __future__ import annotations

import pytest

from helpers import BASE, assert_error


def test_translate_returns_original_beside_translation(ext):
    r = ext.post("/v1/translate", json={"texts": ["Good morning, everyone! 🌞 @ana", "🎉 https://example.com"],
                                        "to": "pt", "from": "en"})
    assert r.status_code == 200, r.json
    first, second = r.json["translations"]
    assert first["text"] == "Good morning, everyone! 🌞 @ana"
    assert first["translation"].startswith("Bom dia") and first["translation"].endswith("🌞 @ana")
    assert (first["from"], first["to"]) == ("en", "pt")
    assert second["translation"] == "🎉 https://example.com"  # nothing to translate: unchanged


def test_translate_detects_the_source_when_from_is_missing(ext):
    r = ext.post("/v1/translate", json={"texts": ["Onde fica a estação de trem mais próxima?"], "to": "en"})
    assert r.status_code == 200, r.json
    assert r.json["translations"][0]["from"] == "pt"


def test_pair_without_model_is_404_naming_the_pull(ext):
    body = assert_error(ext.post("/v1/translate", json={"texts": ["你好"], "to": "en", "from": "zh"}), 404,
                        "no_translation_model")
    assert "no model for zh->en; run `feedlens models pull translate-zh-en`" in body["error"]


@pytest.mark.parametrize(
    "body, status, fragment",
    [
        ({"texts": ["hi"], "to": "xx", "from": "en"}, 400, "unknown language 'xx'"),
        ({"texts": ["hi"], "to": "pt", "from": "english please"}, 400, "not a language code"),
        ({"texts": [""], "to": "pt", "from": "en"}, 400, "body.texts[0]: must not be empty"),
        ({"texts": [], "to": "pt"}, 400, "body.texts"),
        ({"texts": "hello", "to": "pt"}, 400, "body.texts"),
        ({"texts": ["hi"]}, 400, "'to' is a required property"),
        ({"texts": ["hi"], "to": "pt", "lang": "en"}, 400, "allowed fields"),
        ({"texts": ["a" * 50_000], "to": "pt", "from": "en"}, 413, "body.texts[0] has 50000 characters"),
        ({"texts": ["hi"] * 201, "to": "pt", "from": "en"}, 413, "201 texts"),
    ],
)
def test_bad_translate_requests_say_what_is_wrong(ext, body, status, fragment):
    got = assert_error(ext.post("/v1/translate", json=body), status)
    assert fragment in got["error"] or any(fragment in e for e in got["errors"]), got


def test_translate_needs_the_token(client):
    r = client.post("/v1/translate", base_url=BASE, json={"texts": ["hi"], "to": "pt"})
    assert_error(r, 401)


def test_translate_is_in_the_openapi_document(ext):
    doc = ext.get("/v1/openapi.json").json
    op = doc["paths"]["/v1/translate"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"]["required"] == ["texts", "to"]
    assert "404" in op["responses"] and "413" in op["responses"]
