"""Schema changes, only ever through these versioned migrations (sqlite-utils ``Migrations``).

    migrations.apply(db)          # idempotent; each migration runs in its own transaction
    schema_version(db)            # number of applied migrations, the "schema" of an export

Add a migration by appending a new decorated function; never edit one that has shipped.
Every column added here must be described in ``privacy/INVENTORY.md`` (a test checks it).
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("feedlens-vault")


@migrations()
def m001_initial(db: Database) -> None:
    """The first schema: profile, rules, pairings, feedback, seen, translations, interactions."""
    db.execute(
        """CREATE TABLE profile (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL,
            doc TEXT NOT NULL,
            updated TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE rules (
            id INTEGER PRIMARY KEY,
            list TEXT NOT NULL CHECK (list IN ('mutes', 'allow')),
            kind TEXT NOT NULL,
            position INTEGER NOT NULL,
            value TEXT,
            site TEXT,
            until TEXT,
            item TEXT
        )"""
    )
    db.execute("CREATE INDEX rules_list_kind ON rules (list, kind, position)")
    db.execute(
        """CREATE TABLE pairings (
            id TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            extension_id TEXT NOT NULL,
            name TEXT NOT NULL,
            created REAL NOT NULL,
            last_used REAL,
            revoked INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute(
        """CREATE TABLE feedback (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time TEXT NOT NULL,
            kind TEXT NOT NULL,
            site TEXT,
            post_hash TEXT,
            author TEXT,
            label TEXT,
            data TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX feedback_time ON feedback (time)")
    db.execute(
        """CREATE TABLE seen (
            id INTEGER PRIMARY KEY,
            hash TEXT NOT NULL,
            site TEXT NOT NULL,
            author TEXT,
            lang TEXT,
            sentiment TEXT,
            sentiment_score REAL,
            scores TEXT NOT NULL,
            action TEXT,
            reasons TEXT NOT NULL,
            time TEXT NOT NULL,
            UNIQUE (hash, site)
        )"""
    )
    db.execute("CREATE INDEX seen_time ON seen (time)")
    db.execute(
        """CREATE TABLE translations (
            key TEXT PRIMARY KEY,
            translation TEXT NOT NULL,
            time TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX translations_time ON translations (time)")
    db.execute(
        """CREATE TABLE interactions (
            id INTEGER PRIMARY KEY,
            src TEXT NOT NULL,
            dst TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('reply', 'quote', 'mention')),
            site TEXT NOT NULL,
            post_hash TEXT NOT NULL DEFAULT '',
            time TEXT NOT NULL,
            UNIQUE (src, dst, kind, site, post_hash)
        )"""
    )
    db.execute("CREATE INDEX interactions_time ON interactions (time)")


@migrations()
def m002_pair_requests(db: Database) -> None:
    """Pending pairing requests, so ``feedlens pair approve`` in another process can approve them."""
    db.execute(
        """CREATE TABLE pair_requests (
            id TEXT PRIMARY KEY,
            code TEXT NOT NULL,
            extension_id TEXT NOT NULL,
            name TEXT NOT NULL,
            created REAL NOT NULL,
            expires_at REAL NOT NULL,
            status TEXT NOT NULL
        )"""
    )


def schema_version(db: Database) -> int:
    """How many migrations have been applied: the ``schema`` number written into exports."""
    return len(migrations.applied(db))


def latest_version() -> int:
    """The schema number this code writes."""
    return len(migrations._migrations)
