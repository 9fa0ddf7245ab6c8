"""Labelled data for the task heads: reading JSON Lines, label maps, seeded subsamples.

    >>> rows = read_labelled(Path("mine.jsonl"), task="spam")     # validates every line
    >>> spec = SETS["tweeteval-sentiment"]; tr, va = split_set(spec, Path("../shared/data"))

Pure Python + numpy (no sklearn) so serving-side code may import it, though only training does.
Every bundled set is subsampled (embedding is the bottleneck on a 2-core CPU); the subsample is a
deterministic function of the set and the seed so cached embeddings stay aligned with the rows.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from models.errors import InvalidInput

#: Label names per task, in the order the heads' outputs use. Names are those of ../shared/data.
TASK_LABELS: dict[str, list[str]] = {
    "sentiment": ["negative", "neutral", "positive"],
    "offensive": ["not-offensive", "offensive"],
    "hate": ["not-hate", "hate"],
    "spam": ["ham", "spam"],
}


@dataclass(frozen=True)
class Row:
    """One labelled post. ``label`` is the set's raw label; tasks map it with :data:`SETS`."""

    text: str
    label: str
    lang: str = "und"


def _mlma_offensive(raw: str) -> str:
    # MLMA README: single-label "normal" is non-toxic, every other hostility type is toxic.
    return "not-offensive" if raw == "normal" else "offensive"


def _mlma_hate(raw: str) -> str:
    return "hate" if "hateful" in raw.split("_") else "not-hate"


@dataclass(frozen=True)
class SetSpec:
    """How a bundled set feeds the heads.

    ``maps`` gives, per task, a function raw label -> task label (``None`` drops the row).
    ``train_n``: most training rows (stratified by label and language). ``val_n``: most val rows;
    sets without a val split hold out ``holdout`` of train (stratified, seeded) as val instead.
    """

    name: str
    maps: dict[str, Callable[[str], str | None]]
    train_n: int
    val_n: int
    has_val: bool = True
    holdout: float = 0.1
    licence: str = ""
    notes: str = field(default="")
    train_skip_langs: tuple[str, ...] = ()


def _ident(task: str) -> Callable[[str], str | None]:
    names = set(TASK_LABELS[task])
    return lambda raw: raw if raw in names else None


SETS: dict[str, SetSpec] = {s.name: s for s in (
    SetSpec("tweeteval-sentiment", {"sentiment": _ident("sentiment")}, 12000, 2000,
            licence="TweetEval: no restrictions stated by the repo; SemEval-2017 4A tweets (Twitter ToS)",
            notes="train is the reconstructed SemEval-2017 4A set (official train text is missing)"),
    SetSpec("xlmt-sentiment", {"sentiment": _ident("sentiment")}, 14712, 2592,
            licence="Apache-2.0 (cardiffnlp/xlm-t); cite the UMSAB source sets",
            notes="English train rows not used: they are TweetEval sentiment tweets (1,430 of its 2,000 val "
                  "tweets are among them) and may include its held-out test; English comes from tweeteval-sentiment",
            train_skip_langs=("en",)),
    SetSpec("reviews-sentiment-zh", {"sentiment": _ident("sentiment")}, 1000, 800,
            licence="no licence file (SophonPlus/ChineseNlpCorpus)",
            notes="Chinese hotel and food-delivery reviews, negative/positive only"),
    SetSpec("tweeteval-offensive", {"offensive": _ident("offensive")}, 11916, 1324,
            licence="TweetEval / OLID: no restrictions stated by the repo (Twitter ToS)"),
    SetSpec("cold-offensive-zh", {"offensive": _ident("offensive")}, 6000, 1500,
            licence="Apache-2.0 (thu-coai/COLDataset)"),
    SetSpec("germeval-offensive-de", {"offensive": _ident("offensive")}, 4600, 500, has_val=False,
            licence="CC BY 4.0 (uds-lsv/GermEval-2018-Data)"),
    SetSpec("davidson-hate", {
        "offensive": lambda r: "not-offensive" if r == "neither" else "offensive",
        "hate": lambda r: "hate" if r == "hate" else "not-hate"}, 5000, 800, has_val=False,
        licence="MIT (t-davidson/hate-speech-and-offensive-language); tweets under Twitter ToS",
        notes="hate -> hate; offensive and hate -> offensive; neither -> not-*"),
    SetSpec("mlma-hate", {"offensive": _mlma_offensive, "hate": _mlma_hate}, 4000, 800, has_val=False,
            licence="MIT (HKUST-KnowComp/MLMA_hate_speech)",
            notes="en/fr/ar; 'normal' -> not-offensive, other hostility -> offensive; 'hateful' in label -> hate"),
    SetSpec("tweeteval-hate", {"hate": _ident("hate")}, 8993, 999,
            licence="TweetEval / HatEval-2019: no restrictions stated by the repo (Twitter ToS)"),
    SetSpec("sms-spam", {"spam": _ident("spam")}, 2000, 557,
            licence="UCI SMS Spam Collection: free, no-warranty; cite Almeida et al. 2011"),
)}


def read_labelled(path: Path, task: str | None = None, *, raw_labels: bool = False) -> list[Row]:
    """Read JSON Lines with ``text`` and ``label`` (``lang`` optional), checking every line.

    With ``task``, labels must be that task's names (``TASK_LABELS``) unless ``raw_labels``.
    Raises :class:`InvalidInput` naming the file and line number of the first bad line.
    """
    if task is not None and task not in TASK_LABELS:
        raise InvalidInput(f"unknown task {task!r}; known tasks: {', '.join(TASK_LABELS)}")
    try:
        fh = open(path, encoding="utf-8")
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror}") from e
    rows: list[Row] = []
    with fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise InvalidInput(f"{path}:{n}: not valid JSON ({e.msg}); each line must be one JSON object") from e
            if not isinstance(obj, dict):
                raise InvalidInput(f"{path}:{n}: expected a JSON object with 'text' and 'label'")
            for key in ("text", "label"):
                if key not in obj:
                    raise InvalidInput(f"{path}:{n}: missing field {key!r}; each line needs 'text' and 'label'")
                if not isinstance(obj[key], str):
                    raise InvalidInput(f"{path}:{n}: field {key!r} must be a string")
            label = obj["label"]
            if task is not None and not raw_labels and label not in TASK_LABELS[task]:
                raise InvalidInput(f"{path}:{n}: unknown label {label!r} for task {task}; "
                                   f"expected one of: {', '.join(TASK_LABELS[task])}")
            lang = obj.get("lang") if isinstance(obj.get("lang"), str) else "und"
            rows.append(Row(obj["text"], label, lang))
    if not rows:
        raise InvalidInput(f"{path}: no labelled lines found")
    return rows


def stratified_sample(rows: list[Row], n: int, seed: int) -> list[Row]:
    """At most ``n`` rows keeping the (label, lang) proportions; deterministic for a seed."""
    if n >= len(rows):
        return list(rows)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[(r.label, r.lang)].append(i)
    rng = random.Random(seed)
    picked: list[int] = []
    for key in sorted(groups):
        idx = groups[key]
        k = round(n * len(idx) / len(rows))
        picked.extend(rng.sample(idx, min(k, len(idx))))
    picked.sort()
    return [rows[i] for i in picked]


def split_set(spec: SetSpec, data_root: Path, seed: int = 17) -> tuple[list[Row], list[Row]]:
    """(train, val) rows of a bundled set after subsampling / holding out, raw labels kept."""
    train = read_labelled(data_root / spec.name / "train.jsonl", raw_labels=True)
    if spec.has_val:
        val = read_labelled(data_root / spec.name / "val.jsonl", raw_labels=True)
    else:
        # No official val: hold out a stratified slice of train, never seen in training.
        held = stratified_sample(train, int(len(train) * spec.holdout), seed + 1)
        held_ids = {id(r) for r in held}
        val = held
        train = [r for r in train if id(r) not in held_ids]
    return stratified_sample(train, spec.train_n, seed), stratified_sample(val, spec.val_n, seed + 2)


def task_rows(rows: list[Row], spec: SetSpec, task: str) -> tuple[list[int], list[str]]:
    """Indices into ``rows`` that the task uses and their task labels."""
    fn = spec.maps[task]
    idx, labels = [], []
    for i, r in enumerate(rows):
        lab = fn(r.label)
        if lab is not None:
            idx.append(i)
            labels.append(lab)
    return idx, labels
