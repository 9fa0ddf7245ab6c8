"""Dashboard aggregates over the vault, computed in SQL so no row leaves the vault whole.

    compute_stats(db, days=30)
    # {"days": 30, "since": "...", "totals": {...}, "sentiment_by_day": [...], "actions_by_reason": [...],
    #  "actions": [...], "languages": [...], "top_authors": [...], "interactions": [...]}
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlite_utils import Database

TOP_AUTHORS = 25
TOP_EDGES = 500


def compute_stats(db: Database, days: int) -> dict[str, Any]:
    """Aggregates of seen posts and interactions first seen in the last ``days`` days.

    Sentiment per author is averaged as negative = -1, neutral = 0, positive = +1.
    """
    since = (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    q = lambda sql: list(db.query(sql, {"since": since}))  # noqa: E731 - local shorthand

    by_day: dict[str, dict[str, Any]] = {}
    for row in q(
        "SELECT substr(time, 1, 10) AS day, coalesce(sentiment, 'unknown') AS label, count(*) AS n "
        "FROM seen WHERE time >= :since GROUP BY day, label ORDER BY day"
    ):
        day = by_day.setdefault(row["day"], {"day": row["day"], "negative": 0, "neutral": 0, "positive": 0, "unknown": 0})
        day[row["label"]] = day.get(row["label"], 0) + row["n"]

    totals = q(
        "SELECT count(*) AS seen, sum(CASE WHEN action IN ('hide', 'collapse', 'blur') THEN 1 ELSE 0 END) AS filtered "
        "FROM seen WHERE time >= :since"
    )[0]
    return {
        "days": days,
        "since": since,
        "totals": {
            "seen": totals["seen"] or 0,
            "filtered": totals["filtered"] or 0,
            "feedback": q("SELECT count(*) AS n FROM feedback WHERE time >= :since")[0]["n"],
            "interactions": q("SELECT count(*) AS n FROM interactions WHERE time >= :since")[0]["n"],
        },
        "sentiment_by_day": list(by_day.values()),
        "actions": q(
            "SELECT coalesce(action, 'show') AS action, count(*) AS count FROM seen "
            "WHERE time >= :since GROUP BY 1 ORDER BY count DESC"
        ),
        "actions_by_reason": q(
            "SELECT coalesce(seen.action, 'show') AS action, CAST(r.value AS TEXT) AS reason, count(*) AS count "
            "FROM seen, json_each(seen.reasons) AS r WHERE seen.time >= :since "
            "GROUP BY 1, 2 ORDER BY count DESC, reason"
        ),
        "languages": q(
            "SELECT coalesce(lang, 'und') AS lang, count(*) AS count FROM seen "
            "WHERE time >= :since GROUP BY 1 ORDER BY count DESC, lang"
        ),
        "top_authors": q(
            "SELECT author, site, count(*) AS count, "
            "avg(CASE sentiment WHEN 'positive' THEN 1.0 WHEN 'negative' THEN -1.0 WHEN 'neutral' THEN 0.0 END) AS avg_sentiment "
            f"FROM seen WHERE time >= :since AND author IS NOT NULL GROUP BY author, site ORDER BY count DESC, author LIMIT {TOP_AUTHORS}"
        ),
        "interactions": q(
            "SELECT src, dst, kind, site, count(*) AS count FROM interactions WHERE time >= :since "
            f"GROUP BY src, dst, kind, site ORDER BY count DESC, src, dst LIMIT {TOP_EDGES}"
        ),
    }
