"""``feedlens status``."""

from __future__ import annotations

import json

import click

from companion.cli.common import config_or_exit, running_companion


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def status(as_json: bool) -> None:
    """Show whether the companion runs, where its data lives and which models are available.

    \b
    Example:
        feedlens status --json
    """
    from companion.services import Services

    cfg = config_or_exit()
    services = Services(cfg)
    running = running_companion(cfg)
    info = {
        "running": bool(running),
        "port": running["port"] if running else None,
        "data_dir": str(cfg["data_dir"]),
        "pairings": len([p for p in services.pairing.list() if not p.get("revoked")]),
        "pending_pairings": services.pairing.pending(),
        "models": services.analyzer.status(),
    }
    services.close()
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2, default=str))
        return
    click.echo(f"companion: {'running on http://127.0.0.1:%s' % info['port'] if running else 'not running'}")
    click.echo(f"data directory: {info['data_dir']}")
    click.echo(f"paired extensions: {info['pairings']}")
    for req in info["pending_pairings"]:
        click.echo(f"  waiting for approval: {req['name']} code {req['code']}  (feedlens pair approve {req['code']})")
    for name, part in info["models"].items():
        state = "loaded" if part.get("loaded") else f"not available ({part.get('problem', 'unknown')})"
        click.echo(f"model {name}: {state}")
