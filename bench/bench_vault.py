"""What encryption and durability cost: the vault against plain SQLite, in the same run.

Usage::

    .venv/bin/python bench/bench_vault.py            # ~20 s; prints a table, writes bench/results/vault.json
    .venv/bin/python bench/bench_vault.py --quick    # fewer rounds

Both sides get the same schema and rows. "vault" is the product path: SQLCipher 4 (AES-256 +
HMAC-SHA512 per page), WAL, ``synchronous=FULL``, one lock, validation of every record.
"plain" is stdlib ``sqlite3`` with the same tables, WAL and ``synchronous=FULL``, raw
``executemany``. The ratios (vault / plain) are the point; absolute numbers depend on the disk.
Key derivation is timed separately: opening a passphrase vault pays one scrypt (N=2^17, r=8).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from privacy import keys  # noqa: E402
from privacy.records import seen_row  # noqa: E402
from privacy.vault import Vault  # noqa: E402

SEEN_SQL = """INSERT INTO seen (hash, site, author, lang, sentiment, sentiment_score, scores, action, reasons, time)
VALUES (:hash, :site, :author, :lang, :sentiment, :sentiment_score, :scores, :action, :reasons, :time)
ON CONFLICT (hash, site) DO UPDATE SET action = excluded.action"""


def _rows(batch: int, round_: int) -> list[dict]:
    return [{"text": f"post {round_}-{i} " + "words " * 30, "site": "x", "author": f"@user{i % 97}", "lang": "en",
             "sentiment": {"label": "neutral", "score": 0.7}, "scores": {"toxicity": 0.1, "spam": 0.02},
             "action": "show", "reasons": []} for i in range(batch)]


def _plain(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("""CREATE TABLE seen (id INTEGER PRIMARY KEY, hash TEXT NOT NULL, site TEXT NOT NULL, author TEXT,
        lang TEXT, sentiment TEXT, sentiment_score REAL, scores TEXT NOT NULL, action TEXT, reasons TEXT NOT NULL,
        time TEXT NOT NULL, UNIQUE (hash, site))""")
    conn.execute("CREATE INDEX seen_time ON seen (time)")
    conn.execute("CREATE TABLE translations (key TEXT PRIMARY KEY, translation TEXT NOT NULL, time TEXT NOT NULL)")
    return conn


def _time(fn, repeat: int) -> float:
    """Median seconds of ``repeat`` calls."""
    samples = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    rounds = 10 if args.quick else 40
    batch = 100
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FEEDLENS_PASSPHRASE"] = "bench passphrase"  # passphrase mode: no keyring needed
        t0 = time.perf_counter()
        vault = Vault.open(Path(tmp) / "vault")
        open_first = time.perf_counter() - t0
        plain = _plain(Path(tmp) / "plain.db")

        def vault_seen(i: int) -> None:
            vault.seen_add_many(_rows(batch, i))

        def plain_seen(i: int) -> None:
            rows = [seen_row(r) for r in _rows(batch, 10_000 + i)]  # same hashing and JSON as the vault
            plain.execute("BEGIN")
            plain.executemany(SEEN_SQL, rows)
            plain.execute("COMMIT")

        results["seen_add_many_100"] = {"vault_s": _time(vault_seen, rounds), "plain_s": _time(plain_seen, rounds)}

        trans = {f"key{i}": "a translated sentence " * 5 for i in range(2000)}
        vault.translations_put_many(trans)
        plain.execute("BEGIN")
        plain.executemany("INSERT OR REPLACE INTO translations VALUES (?, ?, '2026-01-01T00:00:00Z')", list(trans.items()))
        plain.execute("COMMIT")
        wanted = [f"key{i}" for i in range(0, 2000, 10)]

        def plain_get(i: int) -> None:
            marks = ",".join("?" * len(wanted))
            dict(plain.execute(f"SELECT key, translation FROM translations WHERE key IN ({marks})", wanted).fetchall())

        results["translations_get_200"] = {"vault_s": _time(lambda i: vault.translations_get_many(wanted), rounds * 5),
                                           "plain_s": _time(plain_get, rounds * 5)}
        results["stats_30d"] = {"vault_s": _time(lambda i: vault.stats(30), 5), "plain_s": float("nan")}
        vault.close()
        t0 = time.perf_counter()
        Vault.open(Path(tmp) / "vault").close()
        open_again = time.perf_counter() - t0
        plain.close()
        size = (Path(tmp) / "vault" / "vault.db").stat().st_size
        plain_size = (Path(tmp) / "plain.db").stat().st_size
    report = {
        "rounds": rounds, "batch": batch,
        "ops": {k: {**v, "ratio": (v["vault_s"] / v["plain_s"]) if v["plain_s"] == v["plain_s"] else None}
                for k, v in results.items()},
        "open_passphrase_vault_first_s": open_first,
        "open_passphrase_vault_again_s": open_again,
        "scrypt": {"n": keys.SCRYPT_N, "r": keys.SCRYPT_R, "p": keys.SCRYPT_P},
        "file_bytes": {"vault": size, "plain": plain_size},
    }
    print(f"{'operation':24} {'vault ms':>10} {'plain ms':>10} {'ratio':>7}")
    for name, v in report["ops"].items():
        ratio = f"{v['ratio']:.2f}" if v["ratio"] is not None else "-"
        plain_ms = f"{v['plain_s'] * 1000:.2f}" if v["ratio"] is not None else "-"
        print(f"{name:24} {v['vault_s'] * 1000:10.2f} {plain_ms:>10} {ratio:>7}")
    print(f"open passphrase vault: first {open_first:.2f} s, again {open_again:.2f} s (scrypt N=2^{keys.SCRYPT_N.bit_length() - 1})")
    print(f"file size after the run: vault {size} B, plain {plain_size} B")
    out = ROOT / "bench" / "results" / "vault.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
