"""Property tests (hypothesis) for the text normaliser and the mute matcher: matching is idempotent
under normalisation, never raises on any text, maps back to the source, and a pathological regex
stays inside its time budget."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from companion.pipeline.normalize import fold, normalize
from companion.pipeline.rules import CompiledRules
from companion.profile import default_profile

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
# Any Unicode text, surrogates excluded (they cannot reach us through JSON as UTF-8).
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
WORD = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Lo", "Nd")), min_size=2, max_size=12)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


def _rules(words=(), regexes=(), timeout=0.02) -> CompiledRules:
    profile = default_profile()
    profile["mutes"] = {"words": list(words), "phrases": [], "regexes": list(regexes), "accounts": []}
    return CompiledRules.from_profile(profile, regex_timeout=timeout)


@FAST
@given(TEXT)
def test_normalize_never_raises_and_maps_every_character_back_to_the_source(text):
    norm = normalize(text)
    assert len(norm.index) == len(norm.text)
    assert all(0 <= i < max(1, len(text)) for i in norm.index)
    if norm.text:
        a, b = norm.original_span(0, len(norm.text))
        assert 0 <= a <= b <= len(text)


@FAST
@given(TEXT)
def test_folding_is_idempotent(text):
    once = fold(text)
    assert fold(once) == once


@FAST
@given(word=WORD, text=TEXT)
def test_matching_never_raises_and_is_idempotent_under_normalisation(word, text):
    rules = _rules(words=[word])
    hits = rules.match(text, "@someone", "x", NOW)
    # Matching the already-normalised text finds the same mutes as matching the original.
    again = rules.match(fold(text), "@someone", "x", NOW)
    assert {h.value for h in hits} == {h.value for h in again}


@FAST
@given(word=WORD, before=TEXT, after=TEXT)
def test_a_muted_word_standing_alone_is_always_found(word, before, after):
    rules = _rules(words=[word])
    text = f"{before} {word} {after}"
    assert any(h.value == word for h in rules.match(text, None, "x", NOW))


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(n=st.integers(min_value=20, max_value=5000))
def test_pathological_regex_stays_within_its_time_budget(n):
    rules = _rules(regexes=[r"(a+)+$"], timeout=0.02)
    started = time.perf_counter()
    hits = rules.match("a" * n + "!", None, "x", NOW)
    elapsed = time.perf_counter() - started
    assert hits == []
    # 20 ms budget; generous slack for a loaded 2-core machine, far below the seconds-to-hours
    # catastrophic backtracking would take.
    assert elapsed < 1.0
