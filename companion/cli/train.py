"""``feedlens train`` and ``feedlens eval``: train task heads on labelled posts and score them.

Both need the ``train`` extra (scikit-learn) and the built encoder (``feedlens models build``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from companion.cli.common import config_or_exit
from companion.config import models_dir
from models.errors import ModelError

TASKS = ["sentiment", "offensive", "hate", "spam"]
REPO = Path(__file__).resolve().parents[2]


def _encoder(cfg: dict):
    from models.encoder import load_encoder
    return load_encoder(models_dir(cfg), device=cfg.get("device", "auto"))


def _shared_data() -> Path:
    return Path(os.environ.get("FEEDLENS_SHARED_DATA", REPO.parent / "shared" / "data"))


def _bar(label: str, quiet: bool):
    """A progress callback (done, total) printing to stderr, or None when quiet."""
    if quiet:
        return None

    def cb(done: int, total: int) -> None:
        click.echo(f"\r{label}: {done}/{total}", nl=done >= total, err=True)
    return cb


@click.command("train")
@click.option("--task", type=click.Choice(TASKS), help="Which head to train.")
@click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSON Lines file(s) with 'text' and 'label' (and optional 'lang'); repeat for several.")
@click.option("--val", "val", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSON Lines for calibration, threshold and the reported metric (default: hold out 10%).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for <task>.npz (default: 'heads' in your models dir; --all: the committed heads).")
@click.option("--all", "all_", is_flag=True,
              help="Reproduce every committed head from ../shared/data and rewrite models/cards/heads.md.")
@click.option("--tune-top", is_flag=True,
              help="Fine-tune the encoder's tuned top layers from ../shared/data (needs torch; then "
                   "`feedlens models build --force` and `feedlens train --all`).")
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --all or --tune-top: the labelled sets folder (default: ../shared/data or $FEEDLENS_SHARED_DATA).")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
def train(task: str | None, data: tuple[Path, ...], val: Path | None, out: Path | None, all_: bool,
          tune_top: bool, data_root: Path | None, quiet: bool) -> None:
    """Train a task head on the shared encoder's embeddings.

    \b
    Example:
        feedlens train --task spam --data my_sms.jsonl --val my_sms_val.jsonl
        feedlens train --all
        feedlens train --tune-top
    """
    cfg = config_or_exit()
    try:
        from models import train as tr
    except ImportError as exc:
        raise click.ClickException(f"training needs the train extra: pip install 'feedlens[train]' ({exc})")
    try:
        enc = _encoder(cfg)
        # Embeddings are cached (keyed by encoder fingerprint and text hash) so a rerun is quick.
        cache = Path(os.environ.get("FEEDLENS_EMB_CACHE", models_dir(cfg) / "embedding-cache"))
        say = None if quiet else (lambda m: click.echo(m, err=True))
        if tune_top:
            if all_ or task or data or val:
                raise click.UsageError("--tune-top trains from the shared data on its own; drop --all/--task/--data/--val")
            from models.tune import tune_top as run_tune
            report = run_tune(data_root or _shared_data(), enc, cache_dir=cache, progress=say)
            click.echo(f"tuned top: val macro F1 {100 * report['val_macro_f1']:.1f} on {report['n_val']} posts; "
                       "now run `feedlens models build --force`, then `feedlens train --all`")
            return
        if all_:
            if task or data or val:
                raise click.UsageError("--all trains every head from the shared data; drop --task/--data/--val")
            # The experiments table comes from bench/train_heads.py when it has been run.
            results = REPO / "bench" / "results" / "heads_experiments.json"
            target = out or REPO / "models" / "heads"
            exp = json.loads(results.read_text()) if results.is_file() else None
            reports = tr.train_all(data_root or _shared_data(), enc, target, cache_dir=cache,
                                   progress=say)
            from models.heads.card import write_card
            write_card(REPO / "models" / "cards" / "heads.md", reports, enc.fingerprint, exp)
            for t, rep in reports.items():
                click.echo(f"{t}: " + ", ".join(f"{k} {100 * v['metric']:.1f}" for k, v in rep["per_set"].items()))
            click.echo(f"heads written to {target}; card: models/cards/heads.md")
            return
        if not task or not data:
            raise click.UsageError("give --task and at least one --data file (or --all)")
        target = out or models_dir(cfg) / "heads"
        head, report = tr.train_from_files(task, list(data), enc, val_file=val,
                                           progress=_bar("embedding", quiet))
        path = target / f"{task}.npz"
        head.save(path)
    except ModelError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{task}: val {report['metric_name']} {100 * report['metric']:.1f} on {report['n_val']} posts; "
               f"ECE {report['calibration'].get('ece_before', float('nan')):.3f} -> "
               f"{report['calibration'].get('ece_after', float('nan')):.3f}")
    click.echo(f"head written to {path}")


@click.command("eval")
@click.option("--task", required=True, type=click.Choice(TASKS), help="Which head to score.")
@click.option("--data", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSON Lines file with 'text' and 'label' (labels as in ../shared/data).")
@click.option("--heads", "heads_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of head files (default: the committed heads).")
@click.option("--json", "as_json", is_flag=True, help="Print only one JSON object: task, n, metric_name, metric, report.")
def eval_(task: str, data: Path, heads_dir: Path | None, as_json: bool) -> None:
    """Score a head on labelled posts: classification report and the task's official metric.

    \b
    Example:
        feedlens eval --task sentiment --data test.jsonl
        feedlens eval --task spam --data sms_test.jsonl --json > metrics.json
    """
    cfg = config_or_exit()
    try:
        from models.evaluate import evaluate_file
    except ImportError as exc:
        raise click.ClickException(f"evaluation needs the train extra: pip install 'feedlens[train]' ({exc})")
    try:
        from models.heads.data import read_labelled
        read_labelled(data, task)  # bad input fails before the encoder loads
        res = evaluate_file(task, data, _encoder(cfg), heads_dir,
                            progress=None if as_json else _bar("embedding", False))
    except ModelError as exc:
        raise click.ClickException(exc.message) from exc
    text = res.pop("report_text")
    if as_json:
        click.echo(json.dumps(res))
        return
    click.echo(text)
    click.echo(f"{task}: {res['metric_name']} = {100 * res['metric']:.2f} (n = {res['n']})")
    if task == "spam":
        click.echo(f"F1 of spam = {100 * res['report']['spam']['f1-score']:.2f}")
