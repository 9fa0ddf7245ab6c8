"""Profile validation: defaults keep old documents valid; errors name the field and the valid options."""

from __future__ import annotations

import pytest

from companion.errors import InvalidRequest
from companion.profile import ProfileInvalid, default_profile, profile_fingerprint, validate_profile

DESIGN_EXAMPLE = {
    "version": 7,
    "languages": ["en", "zh"],
    "auto_translate": True,
    "dials": {"toxicity": "medium", "offensive": "off", "hate": "strict", "spam": "medium", "negativity": "off"},
    "mutes": {"words": ["crypto"], "regexes": ["giveaway\\s+now"], "accounts": ["@spammer"]},
    "allow": {"accounts": ["@friend"]},
    "topics": [{"text": "US elections", "action": "collapse"}],
    "sites": {"x": True, "reddit": True, "mastodon": True, "bluesky": True, "youtube": True, "weibo": True},
}


def test_design_example_profile_is_valid_and_keeps_its_values():
    out = validate_profile(DESIGN_EXAMPLE)
    for key, value in DESIGN_EXAMPLE.items():
        if key == "mutes":
            assert out["mutes"]["words"] == ["crypto"] and out["mutes"]["phrases"] == []
        else:
            assert out[key] == value
    assert out["calm_mode"] is False and out["ui_language"] == "en" and out["mute_action"] == "hide"


def test_empty_document_gets_the_defaults():
    assert validate_profile({}) == default_profile()


def test_partial_dials_keep_the_other_defaults():
    out = validate_profile({"dials": {"hate": "strict"}})
    assert out["dials"]["hate"] == "strict"
    assert out["dials"]["spam"] == default_profile()["dials"]["spam"]


def test_validation_does_not_mutate_its_input():
    doc = {"mutes": {"words": ["a"]}}
    validate_profile(doc)
    assert doc == {"mutes": {"words": ["a"]}}


def test_extended_entries_are_valid():
    validate_profile({
        "mutes": {"words": [{"value": "crypto", "sites": ["x"], "until": "2026-12-31", "action": "collapse"}],
                  "phrases": ["game of thrones"],
                  "accounts": [{"value": "@bob", "until": "2026-12-31T18:00:00Z"}]},
        "allow": {"accounts": [{"value": "@mom", "sites": ["weibo"]}]},
        "topics": [{"text": "crypto", "action": "hide", "examples": ["bitcoin", "加密货币"], "sites": ["x"],
                    "until": "2027-01-01"}],
        "calm_mode": True, "ui_language": "zh", "mute_action": "blur", "interest": {"enabled": False},
    })


INVALID_CASES = [
    # (document, the field the message must name, a word the message must contain)
    ([], "profile", "JSON object"),
    ({"dails": {}}, "profile.dails", "known fields"),
    ({"version": -1}, "profile.version", ">= 0"),
    ({"version": "7"}, "profile.version", "whole number"),
    ({"version": True}, "profile.version", "whole number"),
    ({"languages": "en"}, "profile.languages", "list"),
    ({"languages": ["english"]}, "profile.languages[0]", "ISO 639-1"),
    ({"auto_translate": "yes"}, "profile.auto_translate", "true or false"),
    ({"calm_mode": 1}, "profile.calm_mode", "true or false"),
    ({"ui_language": "fr"}, "profile.ui_language", "en, zh"),
    ({"mute_action": "delete"}, "profile.mute_action", "badge, blur, collapse, hide"),
    ({"dials": {"hate": "max"}}, "profile.dials.hate", "off, low, medium, high, strict"),
    ({"dials": {"sarcasm": "low"}}, "profile.dials.sarcasm", "toxicity, offensive, hate, spam, negativity"),
    ({"dials": "strict"}, "profile.dials", "category -> level"),
    ({"mutes": {"hashtags": []}}, "profile.mutes.hashtags", "words, phrases, regexes, accounts"),
    ({"mutes": {"words": "crypto"}}, "profile.mutes.words", "list"),
    ({"mutes": {"words": [""]}}, "profile.mutes.words[0]", "non-empty"),
    ({"mutes": {"words": [42]}}, "profile.mutes.words[0]", "string or an object"),
    ({"mutes": {"words": ["x" * 201]}}, "profile.mutes.words[0]", "at most 200"),
    ({"mutes": {"words": ["w"] * 1001}}, "profile.mutes.words", "at most 1000"),
    ({"mutes": {"words": [{"sites": ["x"]}]}}, "profile.mutes.words[0].value", "missing"),
    ({"mutes": {"words": [{"value": "a", "sites": ["facebook"]}]}}, "profile.mutes.words[0].sites[0]",
     "x, reddit, mastodon, bluesky, youtube, weibo"),
    ({"mutes": {"words": [{"value": "a", "until": "next friday"}]}}, "profile.mutes.words[0].until", "2026-12-31"),
    ({"mutes": {"words": [{"value": "a", "until": 20261231}]}}, "profile.mutes.words[0].until", "ISO date"),
    ({"mutes": {"words": [{"value": "a", "action": "nuke"}]}}, "profile.mutes.words[0].action", "collapse"),
    ({"mutes": {"words": [{"value": "a", "colour": "red"}]}}, "profile.mutes.words[0].colour", "known fields"),
    ({"mutes": {"regexes": ["giveaway(now"]}}, "profile.mutes.regexes[0]", "not a valid regular expression"),
    ({"mutes": {"regexes": ["[a-"]}}, "profile.mutes.regexes[0]", "backslash"),
    ({"allow": {"words": []}}, "profile.allow.words", "use accounts"),
    ({"allow": {"accounts": [{"value": "@a", "until": "2026-12-31"}]}}, "profile.allow.accounts[0].until",
     "known fields"),
    ({"topics": {"text": "a"}}, "profile.topics", "list"),
    ({"topics": [{"action": "hide"}]}, "profile.topics[0].text", "missing"),
    ({"topics": [{"text": "crypto"}]}, "profile.topics[0].action", "show, badge, blur, collapse, hide"),
    ({"topics": [{"text": "crypto", "action": "mute"}]}, "profile.topics[0].action", "show, badge"),
    ({"topics": [{"text": "crypto", "action": "hide", "examples": "bitcoin"}]}, "profile.topics[0].examples", "list"),
    ({"topics": [{"text": "c", "action": "hide", "weight": 2}]}, "profile.topics[0].weight", "known fields"),
    ({"topics": [{"text": f"t{i}", "action": "hide"} for i in range(51)]}, "profile.topics", "at most 50"),
    ({"sites": {"facebook": True}}, "profile.sites.facebook", "x, reddit"),
    ({"sites": {"x": "on"}}, "profile.sites.x", "true or false"),
    ({"interest": {"enabled": "yes"}}, "profile.interest.enabled", "true or false"),
    ({"interest": {"rate": 1}}, "profile.interest.rate", "known fields"),
]


@pytest.mark.parametrize("doc,field,hint", INVALID_CASES)
def test_invalid_profile_names_the_field_and_the_valid_options(doc, field, hint):
    with pytest.raises(ProfileInvalid) as info:
        validate_profile(doc)
    err = info.value
    assert isinstance(err, InvalidRequest) and err.status == 400 and err.code == "invalid_profile"
    assert err.message.startswith(field + ":") or err.message.startswith(field + " "), err.message
    assert hint in err.message, err.message
    assert err.errors and err.errors[0] == err.message.split(" (and ")[0]


def test_every_problem_is_listed_not_just_the_first():
    with pytest.raises(ProfileInvalid) as info:
        validate_profile({"dials": {"hate": "max"}, "ui_language": "fr", "sites": {"x": 1}})
    assert len(info.value.errors) == 3
    assert "(and 2 more problem(s))" in info.value.message


def test_fingerprint_changes_with_content_not_with_key_order():
    a = validate_profile({"dials": {"hate": "strict"}, "calm_mode": True})
    b = validate_profile({"calm_mode": True, "dials": {"hate": "strict"}})
    c = validate_profile({"calm_mode": False, "dials": {"hate": "strict"}})
    assert profile_fingerprint(a) == profile_fingerprint(b) != profile_fingerprint(c)


def test_json_schema_describes_every_field_and_accepts_valid_profiles():
    import jsonschema

    from companion.profile import KNOWN_FIELDS, profile_json_schema

    schema = profile_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]) == set(KNOWN_FIELDS)
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(validator.iter_errors(default_profile()))
    assert not list(validator.iter_errors(DESIGN_EXAMPLE))
    assert list(validator.iter_errors({"dials": {"hate": "max"}}))


def test_every_profile_field_is_documented():
    from pathlib import Path

    from companion.profile import KNOWN_FIELDS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "decisions.md").read_text(encoding="utf-8")
    for name in KNOWN_FIELDS:
        assert f"| `{name}" in doc, f"docs/decisions.md does not document profile field {name!r}"
