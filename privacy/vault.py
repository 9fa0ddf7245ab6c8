"""The vault: everything personal Feedlens keeps, in one SQLCipher file.

    vault = Vault.open(data_dir)                 # key from the OS keyring or FEEDLENS_PASSPHRASE[_FILE]
    doc = vault.profile_get()                    # {"version": 1, "languages": [...], ...}
    vault.profile_put({**doc, "languages": ["en", "zh"]})["version"]   # -> 2
    vault.seen_add_many([{"text": "...", "site": "x", "action": "hide", "reasons": ["toxicity"]}])
    vault.export(); vault.erase(); vault.close()

One connection, one lock: every read and write goes through ``self._lock`` (a single writer path,
as datasette sends writes to one thread), and every multi-step write runs in ``db.atomic()``.
Files in the data directory: ``vault.db`` (+ ``-wal`` / ``-shm`` while open), and
``vault.kdf.json`` for a passphrase vault. ``privacy/INVENTORY.md`` lists every column.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import tempfile
import builtins
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from . import driver, keys, records
from .errors import InvalidRecord, VaultError, VaultLocked, VaultUnwritable
from .migrations import latest_version, migrations, schema_version
from .stats import compute_stats

log = logging.getLogger(__name__)

DB_FILE = "vault.db"
LOCK_FILE = "vault.lock"
EXPORT_FORMAT = "feedlens-vault-export"
_CHUNK = 500  # stay well under SQLite's bound-parameter limit

# Tables erased and exported, in dependency-free order.
DATA_TABLES = ("rules", "feedback", "seen", "translations", "interactions")


def _storage_error(exc: BaseException, where: str) -> VaultError:
    """Map a driver error to a clear vault error (disk full, read-only, I/O)."""
    text = str(exc)
    if "full" in text:
        return VaultUnwritable(f"the disk holding the vault is full ({where}: {text}); free some space. Nothing was half-written.")
    if "readonly" in text or "read-only" in text:
        return VaultUnwritable(f"the vault is read-only ({where}: {text}); make the data directory writable. Nothing was half-written.")
    if "I/O" in text or "disk" in text or "unable to open" in text:
        return VaultUnwritable(f"the vault's storage failed ({where}: {text}); check that the disk is not full and the data directory is writable. Nothing was half-written.")
    return VaultError(f"vault error ({where}: {text})")


def ensure_writable(data_dir: Path) -> None:
    """Create ``data_dir`` (0700) if needed and check that files can be created in it.

    :raise VaultUnwritable: read-only, permission denied or disk full, naming the directory.
    """
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=data_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        why = {errno.EROFS: "is on a read-only file system", errno.EACCES: "is not writable (permission denied)",
               errno.EPERM: "is not writable (permission denied)", errno.ENOSPC: "is on a full disk"}.get(exc.errno or 0, f"cannot be written ({exc.strerror})")
        raise VaultUnwritable(
            f"the data directory {data_dir} {why}. Feedlens keeps its encrypted vault there: fix that, "
            "or set FEEDLENS_HOME to a writable directory."
        ) from exc


def _has_db(db_path: Path) -> bool:
    return db_path.exists() and db_path.stat().st_size > 0


@contextlib.contextmanager
def _creation_lock(data_dir: Path) -> Iterator[None]:
    """An exclusive lock on ``data_dir/vault.lock`` (empty file) while a first run creates the vault."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; first-run races there are left to chance
        yield
        return
    with open(data_dir / LOCK_FILE, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class PairingStore:
    """Pairings of browser extensions (token hashes only). Reached as ``vault.pairings``.

        vault.pairings.add({"id": "p1", "extension_id": "chrome-extension://abc", "name": "Chrome",
                            "token_hash": sha256_hex, "created": time.time()})
        vault.pairings.find_by_token_hash(sha256_hex)  # -> {"id": "p1", ...} without token_hash
    """

    _PUBLIC = "id, extension_id, name, created, last_used, revoked"

    def __init__(self, vault: Vault):
        self._vault = vault

    def _public(self, row: dict[str, Any]) -> dict[str, Any]:
        row = dict(row)
        row.pop("token_hash", None)
        row["revoked"] = bool(row.get("revoked"))
        return row

    def add(self, pairing: dict[str, Any]) -> None:
        """Store a new pairing; an existing ``id`` is replaced (re-pairing the same extension)."""
        row = records.pairing_row(pairing)
        with self._vault._write("adding a pairing") as db:
            db.table("pairings").insert(row, replace=True)

    def list(self) -> list[dict[str, Any]]:
        """All pairings, revoked ones included (with ``revoked: true``), never their token hashes."""
        with self._vault._read() as db:
            return [self._public(r) for r in db.query(f"SELECT {self._PUBLIC} FROM pairings ORDER BY created, id")]

    def find_by_token_hash(self, token_hash: str) -> dict[str, Any] | None:
        """The live pairing whose token hashes to ``token_hash``; ``None`` if revoked or absent."""
        with self._vault._read() as db:
            rows = list(db.query(f"SELECT {self._PUBLIC} FROM pairings WHERE token_hash = ? AND revoked = 0", [token_hash]))
        return self._public(rows[0]) if rows else None

    def revoke(self, pairing_id: str) -> bool:
        """Revoke a pairing; ``True`` if a live one was revoked. Its token stops working at once."""
        with self._vault._write("revoking a pairing") as db:
            cur = db.execute("UPDATE pairings SET revoked = 1 WHERE id = ? AND revoked = 0", [pairing_id])
            return cur.rowcount > 0

    def touch(self, pairing_id: str) -> None:
        """Record that a pairing's token was just used (epoch seconds)."""
        with self._vault._write("touching a pairing") as db:
            db.execute("UPDATE pairings SET last_used = ? WHERE id = ?", [time.time(), pairing_id])

    # Pending requests live here too, so ``feedlens pair approve`` (another process) can flip them.

    def request_add(self, request: dict[str, Any]) -> None:
        """Store a pending pairing request; requests that ended over an hour ago are dropped."""
        row = records.pair_request_row(request)
        with self._vault._write("adding a pairing request") as db:
            db.execute("DELETE FROM pair_requests WHERE expires_at < ?", [time.time() - 3600])
            db.table("pair_requests").insert(row, replace=True)

    def request_get(self, request_id: str) -> dict[str, Any] | None:
        """One request by id, or ``None``."""
        with self._vault._read() as db:
            rows = list(db.query("SELECT * FROM pair_requests WHERE id = ?", [request_id]))
        return rows[0] if rows else None

    def request_update(self, request_id: str, **fields: Any) -> None:
        """Change fields of a request (in practice its ``status``)."""
        unknown = set(fields) - set(records.REQUEST_FIELDS) - {"id"}
        if unknown or "id" in fields:
            raise InvalidRecord(f"pairing request: cannot update {sorted(unknown | ({'id'} & set(fields)))}")
        if not fields:
            return
        current = self.request_get(request_id)
        if current is None:
            return
        row = records.pair_request_row({**current, **fields})
        with self._vault._write("updating a pairing request") as db:
            db.table("pair_requests").update(request_id, {k: row[k] for k in fields})

    def requests(self) -> builtins.list[dict[str, Any]]:  # ``list`` is a method name here
        """All stored requests, oldest first."""
        with self._vault._read() as db:
            return list(db.query("SELECT * FROM pair_requests ORDER BY created, id"))


class Vault:
    """The encrypted store. Build it with :meth:`Vault.open`; it is safe to share between threads."""

    def __init__(self, conn: driver.Connection, data_dir: Path, key_source: str, default_profile: dict[str, Any] | None = None):
        self._conn: driver.Connection | None = conn
        self._default_profile = dict(default_profile) if default_profile is not None else records.default_profile()
        self.db = Database(conn)
        self.data_dir = data_dir
        self.key_source = key_source
        self._lock = threading.RLock()
        self.pairings = PairingStore(self)

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path | str, *, default_profile: dict[str, Any] | None = None) -> Vault:
        """Open the vault in ``data_dir``, creating it (and its key) on first run.

        ``default_profile`` is the document a new (or erased) vault starts with; the companion
        passes its own defaults, the vault's are :data:`privacy.records.DEFAULT_PROFILE`.

        :raise VaultLocked: no usable key (no keyring and no passphrase, wrong passphrase, locked keyring).
        :raise VaultUnwritable: the data directory is read-only or the disk is full.
        """
        data_dir = Path(data_dir).expanduser()
        db_path = data_dir / DB_FILE
        # Decide where the key comes from before touching the disk: with no keyring and no
        # passphrase this raises, and nothing has been created.
        candidates = keys.key_candidates(data_dir, db_exists=_has_db(db_path))
        ensure_writable(data_dir)
        if not any(c.created for c in candidates):
            return cls._open_with(data_dir, db_path, candidates, default_profile)
        # First run. Two processes starting at once (tray and CLI) must not each mint a key:
        # serialise creation, and look again once we hold the lock.
        with _creation_lock(data_dir):
            candidates = keys.key_candidates(data_dir, db_exists=_has_db(db_path))
            return cls._open_with(data_dir, db_path, candidates, default_profile)

    @classmethod
    def _open_with(cls, data_dir: Path, db_path: Path, candidates: list[keys.KeyCandidate],
                   default_profile: dict[str, Any] | None) -> Vault:
        last: VaultLocked | None = None
        for cand in candidates:
            if cand.created:
                cand.finalize()  # store the new key / salt before the database exists, never after
                if not db_path.exists():
                    os.close(os.open(db_path, os.O_CREAT | os.O_WRONLY, 0o600))  # -wal/-shm inherit 0600
            try:
                conn = driver.connect(db_path, cand.key)
            except VaultLocked as exc:
                last = exc
                continue
            try:
                vault = cls(conn, data_dir, cand.source, default_profile)
                vault._setup()
            except BaseException:
                conn.close()
                raise
            if not cand.created:
                cand.finalize()  # promote a key parked by an interrupted rekey
                if cand.source.endswith("-next"):
                    log.warning("finished an interrupted rekey (the vault now uses its new key)")
            log.info("vault opened (%s key, schema %d)", cand.source, schema_version(vault.db))
            return vault
        assert last is not None
        raise last

    def _setup(self) -> None:
        conn = self.db.conn
        try:
            # busy_timeout first: another process may be setting the vault up right now.
            for pragma in ("busy_timeout = 10000", "journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON",
                           "secure_delete = ON", "temp_store = MEMORY"):
                conn.execute(f"PRAGMA {pragma}").fetchall()
            # One writer at a time runs the migrations (two processes upgrading at once would
            # otherwise both see the same migration pending); inner atomic() blocks nest as savepoints.
            conn.execute("BEGIN IMMEDIATE")
            try:
                migrations.apply(self.db)
                if self.db["profile"].count == 0:
                    self._put_profile_row(self._default_profile, 1)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except driver.DatabaseError as exc:
            raise _storage_error(exc, "opening the vault") from exc

    # --- plumbing ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _read(self) -> Iterator[Database]:
        with self._lock:
            if self._conn is None:
                raise VaultError("the vault is closed", code="vault_closed")
            try:
                yield self.db
            except driver.DatabaseError as exc:
                raise _storage_error(exc, "reading") from exc

    @contextlib.contextmanager
    def _write(self, what: str) -> Iterator[Database]:
        """The single writer path: the lock, then one transaction; errors roll everything back."""
        with self._lock:
            if self._conn is None:
                raise VaultError("the vault is closed", code="vault_closed")
            try:
                with self.db.atomic():
                    yield self.db
            except driver.IntegrityError as exc:
                raise InvalidRecord(f"{what}: {exc}") from exc
            except driver.DatabaseError as exc:
                raise _storage_error(exc, what) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Vault]:
        """Group several vault calls into one transaction: all of them are stored, or none.

            with vault.transaction():
                vault.feedback_add(event)
                vault.profile_put(doc)
        """
        with self._write("a grouped write"):
            yield self

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close. Idempotent."""
        with self._lock:
            if self._conn is None:
                return
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except driver.DatabaseError as exc:
                log.warning("WAL checkpoint on close failed: %s", exc)
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- profile -------------------------------------------------------------------------

    def _put_profile_row(self, doc: dict[str, Any], version: int) -> dict[str, Any]:
        skeleton, rules = records.split_profile(doc)
        with self._write("saving the profile") as db:
            db.execute("DELETE FROM rules")
            if rules:
                db.table("rules").insert_all(rules)
            db.table("profile").insert({"id": 1, "version": version, "doc": records.dumps(skeleton), "updated": records.now_iso()}, replace=True)
        return {**records.merge_profile(skeleton, rules), "version": version}

    def profile_get(self) -> dict[str, Any]:
        """The profile document with its ``version`` (the default document on first run)."""
        with self._read() as db:
            row = db.execute("SELECT version, doc FROM profile WHERE id = 1").fetchone()
            rules = list(db.query("SELECT list, kind, position, value, item FROM rules"))
        return {**records.merge_profile(json.loads(row[1]), rules), "version": row[0]}

    def profile_version(self) -> int:
        """The profile's version; it grows by one on every :meth:`profile_put` (the verdict cache keys on it)."""
        with self._read() as db:
            return int(db.execute("SELECT version FROM profile WHERE id = 1").fetchone()[0])

    def profile_put(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Store ``doc`` (any JSON object; its ``version`` is ignored), bump the version, return it stored."""
        if not isinstance(doc, dict):
            raise InvalidRecord(f"profile must be a JSON object, got {type(doc).__name__}")
        with self._lock:
            return self._put_profile_row(doc, self.profile_version() + 1)

    # --- events --------------------------------------------------------------------------

    def feedback_add(self, event: dict[str, Any]) -> int:
        """Store one feedback event (``kind`` required); returns its id."""
        row = records.feedback_row(event)
        with self._write("storing feedback") as db:
            pk = db.table("feedback").insert(row).last_pk
        assert pk is not None
        return int(pk)

    def feedback_list(self, limit: int = 1000) -> list[dict[str, Any]]:
        """The latest feedback events, newest first, as stored (``data`` merged back in)."""
        with self._read() as db:
            rows = list(db.query("SELECT * FROM feedback ORDER BY id DESC LIMIT ?", [int(limit)]))
        return [_feedback_out(r) for r in rows]

    def seen_add_many(self, rows: list[dict[str, Any]]) -> None:
        """Record analysed posts (by text hash; the text is never stored). A post seen again on the
        same site keeps its first-seen time and takes the latest scores, action and reasons."""
        prepared = [records.seen_row(r) for r in _require_list(rows, "seen posts")]
        if not prepared:
            return
        with self._write("recording seen posts") as db:
            db.conn.executemany(
                """INSERT INTO seen (hash, site, author, lang, sentiment, sentiment_score, scores, action, reasons, time)
                   VALUES (:hash, :site, :author, :lang, :sentiment, :sentiment_score, :scores, :action, :reasons, :time)
                   ON CONFLICT (hash, site) DO UPDATE SET author = excluded.author, lang = excluded.lang,
                     sentiment = excluded.sentiment, sentiment_score = excluded.sentiment_score,
                     scores = excluded.scores, action = excluded.action, reasons = excluded.reasons""",
                prepared,
            )

    def translations_get_many(self, keys_: list[str]) -> dict[str, str]:
        """Cached translations for the given keys (missing keys are absent from the result)."""
        wanted = [k for k in _require_list(keys_, "translation keys") if isinstance(k, str)]
        out: dict[str, str] = {}
        with self._read() as db:
            for i in range(0, len(wanted), _CHUNK):
                chunk = wanted[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                out.update(db.execute(f"SELECT key, translation FROM translations WHERE key IN ({marks})", chunk).fetchall())
        return out

    def translations_put_many(self, translations: dict[str, str]) -> None:
        """Cache translations ``{key: translated text}`` (the key is the caller's, e.g. hash + pair + model)."""
        if not isinstance(translations, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in translations.items()):
            raise InvalidRecord("translations must be an object of string key -> string translation")
        if not translations:
            return
        now = records.now_iso()
        with self._write("caching translations") as db:
            db.conn.executemany("INSERT OR REPLACE INTO translations (key, translation, time) VALUES (?, ?, ?)",
                                [(k, v, now) for k, v in translations.items()])

    def interactions_add_many(self, rows: list[dict[str, Any]]) -> None:
        """Record who replied to / quoted / mentioned whom (``{src, dst, kind, site, time?, post_hash?}``).
        The same edge from the same post is stored once."""
        prepared = [records.interaction_row(r) for r in _require_list(rows, "interactions")]
        if not prepared:
            return
        with self._write("recording interactions") as db:
            db.conn.executemany(
                "INSERT OR IGNORE INTO interactions (src, dst, kind, site, post_hash, time) VALUES (:src, :dst, :kind, :site, :post_hash, :time)",
                prepared,
            )

    # --- dashboard -----------------------------------------------------------------------

    def stats(self, days: int = 30) -> dict[str, Any]:
        """Aggregates of the last ``days`` days for the dashboard (see :func:`privacy.stats.compute_stats`)."""
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
            raise InvalidRecord(f"days must be an integer from 1 to 3650, got {days!r}")
        with self._read() as db:
            return compute_stats(db, days)

    # --- export / import / erase / retention ---------------------------------------------

    def export(self) -> dict[str, Any]:
        """Everything the vault holds as one JSON-ready document, schema-versioned.

        ``{"format", "schema", "exported_at", "profile", "pairings", "feedback", "seen",
        "translations", "interactions"}``; mutes and allow-lists are inside ``profile``.
        """
        with self._read() as db:
            profile = self.profile_get()
            return {
                "format": EXPORT_FORMAT,
                "schema": schema_version(db),
                "exported_at": records.now_iso(),
                "profile": profile,
                "pairings": list(db.query("SELECT * FROM pairings ORDER BY created, id")),
                "feedback": [_feedback_out(r) for r in db.query("SELECT * FROM feedback ORDER BY id")],
                "seen": [_seen_out(r) for r in db.query("SELECT * FROM seen ORDER BY id")],
                "translations": list(db.query("SELECT key, translation, time FROM translations ORDER BY key")),
                "interactions": list(db.query("SELECT src, dst, kind, site, post_hash, time FROM interactions ORDER BY id")),
            }

    def import_(self, doc: dict[str, Any]) -> None:
        """Restore an :meth:`export` document: the vault's contents become the document's, atomically.

        Sections absent from ``doc`` are left as they are. The profile gets a new, higher version.
        """
        if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT:
            raise InvalidRecord(f"not a Feedlens vault export (expected \"format\": \"{EXPORT_FORMAT}\")")
        schema = doc.get("schema")
        if isinstance(schema, bool) or not isinstance(schema, int) or not 1 <= schema <= latest_version():
            raise InvalidRecord(f"export schema {schema!r} is not supported; this Feedlens reads schema 1 to {latest_version()}")
        for section in ("pairings", "feedback", "seen", "translations", "interactions"):
            if section in doc and not isinstance(doc[section], list):
                raise InvalidRecord(f"export section {section!r} must be a list")
        # Validate every record before the first write, so a bad document changes nothing.
        pairings = [records.pairing_row(p) for p in doc.get("pairings", [])]
        feedback = []
        for event in doc.get("feedback", []):
            row = records.feedback_row(event)
            if isinstance(event.get("id"), int):
                row["id"] = event["id"]
            feedback.append(row)
        seen = [records.seen_row(r) for r in doc.get("seen", [])]
        translations = doc.get("translations", [])
        if not all(isinstance(t, dict) and isinstance(t.get("key"), str) and isinstance(t.get("translation"), str) for t in translations):
            raise InvalidRecord("export section 'translations' must hold {key, translation, time} objects")
        trans_rows = [{"key": t["key"], "translation": t["translation"], "time": records.to_iso(t.get("time"))} for t in translations]
        interactions = [records.interaction_row(r) for r in doc.get("interactions", [])]
        profile = doc.get("profile")
        if profile is not None and not isinstance(profile, dict):
            raise InvalidRecord("export section 'profile' must be an object")
        with self._lock, self._write("importing") as db:
            if profile is not None:
                self._put_profile_row(profile, self.profile_version() + 1)
            for table, rows in (("pairings", pairings), ("feedback", feedback), ("seen", seen),
                                ("translations", trans_rows), ("interactions", interactions)):
                if table in doc:
                    db.execute(f"DELETE FROM {table}")
                    if rows:
                        db.table(table).insert_all(rows)

    def erase(self, keep_pairings: bool = False) -> None:
        """Delete everything (pairings too unless ``keep_pairings``), reset the profile, VACUUM, and
        truncate the WAL, so no deleted byte stays in the file, its WAL or a journal."""
        with self._lock:
            version = self.profile_version()
            with self._write("erasing") as db:
                for table in DATA_TABLES + (() if keep_pairings else ("pairings", "pair_requests")):
                    db.execute(f"DELETE FROM {table}")
                db.execute("DELETE FROM sqlite_sequence")
            # The version keeps growing across an erase so cached verdicts never match again.
            self._put_profile_row(self._default_profile, version + 1)
            self._compact("erasing")
        log.info("vault erased (pairings %s)", "kept" if keep_pairings else "erased")

    def _compact(self, what: str) -> None:
        assert self._conn is not None
        try:
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except driver.DatabaseError as exc:
            raise _storage_error(exc, what) from exc

    def purge_seen_older_than(self, days: int) -> int:
        """Retention: delete seen posts first seen more than ``days`` days ago, and translations and
        interactions older than that too. Returns the number of seen posts deleted."""
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise InvalidRecord(f"retention days must be a whole number >= 0, got {days!r}")
        cutoff = (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._write("purging old posts") as db:
            seen = db.execute("DELETE FROM seen WHERE time < ?", [cutoff]).rowcount
            trans = db.execute("DELETE FROM translations WHERE time < ?", [cutoff]).rowcount
            inter = db.execute("DELETE FROM interactions WHERE time < ?", [cutoff]).rowcount
        log.info("retention (%d days): purged %d seen posts, %d translations, %d interactions", days, seen, trans, inter)
        return int(seen)

    # --- keys and health -----------------------------------------------------------------

    def rekey(self, new_passphrase: str | None) -> None:
        """Re-encrypt in place: ``None`` -> a fresh random key in the OS keyring; else a passphrase.

        Stop any other process using the vault first (it holds the old key).
        """
        with self._lock:
            if self._conn is None:
                raise VaultError("the vault is closed", code="vault_closed")
            conn = self._conn

            def apply(key: bytes) -> None:
                try:
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                    driver.rekey(conn, key)
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                except driver.DatabaseError as exc:
                    raise _storage_error(exc, "rekeying") from exc

            self.key_source = keys.rekey(self.data_dir, new_passphrase, apply)
        log.info("vault rekeyed (now %s)", self.key_source)

    def integrity_check(self) -> list[str]:
        """Problems found by ``PRAGMA integrity_check`` and ``PRAGMA cipher_integrity_check``; ``[]`` if sound."""
        with self._read() as db:
            problems = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
            problems += [str(r[0]) for r in db.execute("PRAGMA cipher_integrity_check").fetchall()]
        return problems

    def counts(self) -> dict[str, int]:
        """Rows per table (for status pages and tests)."""
        with self._read() as db:
            return {t: db[t].count for t in ("profile", "pairings", "pair_requests") + DATA_TABLES}


def _require_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidRecord(f"{what} must be a list, got {type(value).__name__}")
    return value


def _feedback_out(row: dict[str, Any]) -> dict[str, Any]:
    data = json.loads(row.pop("data") or "{}")
    return {**data, **{k: v for k, v in row.items() if v is not None}}


def _seen_out(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row.pop("id", None)
    row["scores"] = json.loads(row["scores"])
    row["reasons"] = json.loads(row["reasons"])
    return row


__all__ = ["Vault", "PairingStore", "VaultError", "VaultLocked", "VaultUnwritable", "InvalidRecord", "DB_FILE"]
