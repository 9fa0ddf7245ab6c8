"""``feedlens analyze``: verdicts for texts on the command line, in a file or on stdin."""

from __future__ import annotations

import json
import sys
from typing import IO

import click

from companion.cli.common import config_or_exit
from companion.pipeline.types import SITES, Post


def read_posts(lines: IO[str]) -> list[Post]:
    """JSON Lines (objects with ``text``, optional ``id``/``author``/``lang_hint``...) or plain lines."""
    posts = []
    for n, line in enumerate(lines, start=1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise click.ClickException(f"line {n}: not valid JSON ({exc.msg}); give JSON Lines or plain text lines")
            if not isinstance(obj.get("text"), str) or not obj["text"].strip():
                raise click.ClickException(f"line {n}: a JSON line needs a non-empty \"text\" field")
            posts.append(Post(id=str(obj.get("id", n)), text=obj["text"], author=obj.get("author"),
                              url=obj.get("url"), lang_hint=obj.get("lang_hint")))
        else:
            posts.append(Post(id=str(n), text=line))
    return posts


def _cell(value: object, width: int) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command()
@click.argument("texts", nargs=-1)
@click.option("--file", "-f", "file", type=click.File("r", encoding="utf-8"),
              help="Read posts from FILE: JSON Lines with a \"text\" field, or one plain post per line ('-' for stdin).")
@click.option("--site", type=click.Choice(SITES), default="x", show_default=True, help="Site the posts come from.")
@click.option("--json", "as_json", is_flag=True, help="Print {\"verdicts\": [...]} as JSON instead of a table.")
def analyze(texts: tuple[str, ...], file: IO[str] | None, site: str, as_json: bool) -> None:
    """Analyze posts on this machine and print one verdict per post.

    With no TEXTS and no --file, posts are read from stdin.

    \b
    Example:
        feedlens analyze "Bom dia a todos!" "今天天气真好" "This is fine"
        feedlens analyze --json --file posts.jsonl
    """
    from companion.services import Services

    if texts and file:
        raise click.UsageError("give TEXTS or --file, not both")
    if texts:
        posts = [Post(id=str(i), text=t) for i, t in enumerate(texts, start=1)]
    else:
        posts = read_posts(file or sys.stdin)
    empty = [p.id for p in posts if not p.text.strip()]
    if empty:
        raise click.ClickException(f"post {empty[0]} is empty; give some text to analyze")
    if not posts:
        raise click.ClickException("no posts to analyze: give TEXTS, --file FILE, or lines on stdin")
    cfg = config_or_exit()
    services = Services(cfg)
    try:
        verdicts = services.analyze(site, posts)
    finally:
        services.close()
    if as_json:
        click.echo(json.dumps({"verdicts": [v.to_json() for v in verdicts]}, ensure_ascii=False))
        return
    rows = []
    for post, v in zip(posts, verdicts):
        sentiment = f"{v.sentiment['label']} {v.sentiment['score']:.2f}" if v.sentiment else "-"
        scores = " ".join(f"{k}={s:.2f}" for k, s in (v.scores or {}).items()) or "-"
        rows.append((v.id, v.lang, f"{v.lang_confidence:.2f}", sentiment, v.action, scores, _cell(post.text, 40)))
    header = ("id", "lang", "conf", "sentiment", "action", "scores", "text")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    click.echo("  ".join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip())
    for row, v in zip(rows, verdicts):
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
        if v.translation and v.translation.get("text"):
            click.echo(f"    {v.translation['from']}->{v.translation['to']}: {_cell(v.translation['text'], 100)}")
        for reason in v.reasons:
            if reason.get("text") and v.action != "show":
                click.echo(f"    why: {reason['text']}")
