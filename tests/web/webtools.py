"""Helpers the web tests share (conftest modules are not importable by name)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

from companion import web
from helpers import BASE, PORT
from privacy.vault import Vault

CSRF = {"X-Feedlens-Settings": "1"}


def login(app, client, page: str = "settings"):
    """Open a fresh one-time link with ``client``; the response that sets the session cookie."""
    url = web.login_url(app, page)
    return client.get(url.split(str(PORT), 1)[1], base_url=BASE)


def ensure_vault(services: Any) -> Vault:
    """The services' vault; until Services opens one itself, the tests open it and attach it."""
    if getattr(services, "vault", None) is None:
        services.vault = Vault.open(services.cfg["data_dir"])
        services._web_tests_vault = True
    return services.vault


def close_services(services: Any) -> None:
    if getattr(services, "_web_tests_vault", False):
        services.vault.close()
    services.close()


# --- feed history for the dashboard ------------------------------------------------------------

ACCOUNTS = {
    "x": ["@ana", "@ben", "@chen", "@dora", "@eli", "@fay"],
    "mastodon": ["@gus@fosstodon.org", "@hana@mstdn.jp", "@ivo@social.coop", "@jun@mstdn.jp"],
    "weibo": ["@小林", "@王芳", "@陈静"],
}
# Reason labels as Services records them (companion.services._reason_label).
REASONS = {"hide": ["muted_word", "dial:spam", "dial:toxicity", "muted_account"],
           "collapse": ["topic:US elections", "calm_negativity"], "blur": ["dial:offensive", "dial:hate"],
           "badge": ["dial:toxicity"]}


def seed_history(vault: Vault, days: int = 21, seed: int = 3) -> None:
    """Three weeks of plausible feed history: posts, moods, actions with reasons, interactions in
    three clusters (x, mastodon, weibo) with a few bridges. Texts are hashed by the vault."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    rows, edges = [], []
    langs = {"x": ["en"] * 6 + ["pt", "es"], "mastodon": ["en", "de", "ja"], "weibo": ["zh"]}
    for d in range(days):
        day = now - timedelta(days=days - 1 - d, hours=rng.random() * 3)
        for i in range(rng.randint(25, 60)):
            site = rng.choice(["x", "x", "mastodon", "weibo"])
            author = rng.choice(ACCOUNTS[site])
            bias = sum(map(ord, author)) % 5  # each account has its own tone, so the chart shows some
            mood = rng.choices(["negative", "neutral", "positive"], weights=[1 + bias + (d % 4), 5, 6 - bias])[0]
            action = rng.choices(["show", "badge", "blur", "collapse", "hide"], weights=[30, 3, 2, 3, 4])[0]
            reasons = [] if action == "show" else [rng.choice(REASONS[action])]
            rows.append({"text": f"post {d}-{i}-{rng.random()}", "site": site, "author": author,
                         "lang": rng.choice(langs[site]), "sentiment": {"label": mood, "score": 0.8},
                         "scores": {"toxicity": rng.random() / 3}, "action": action, "reasons": reasons,
                         "time": day.strftime("%Y-%m-%dT%H:%M:%SZ")})
        for _ in range(12):
            site = rng.choice(list(ACCOUNTS))
            src, dst = rng.sample(ACCOUNTS[site], 2)
            if rng.random() < 0.06:  # a bridge between clusters
                dst = rng.choice(ACCOUNTS[rng.choice([s for s in ACCOUNTS if s != site])])
            edges.append({"src": src, "dst": dst, "kind": rng.choice(["reply", "quote", "mention"]), "site": site,
                          "post_hash": f"{d}-{rng.random()}", "time": day.strftime("%Y-%m-%dT%H:%M:%SZ")})
    vault.seen_add_many(rows)
    vault.interactions_add_many(edges)
