"""Dashboard charts: the vault's aggregates drawn as SVG with matplotlib, on the server.

    svg = render("network", vault.stats(30), vault.profile_get(), theme="dark", strings=i18n.strings("zh"))

matplotlib and networkx are imported here only, and this module only when a dashboard page or
chart is asked for, so ``feedlens serve`` alone never loads them. Figures are built with
``matplotlib.figure.Figure`` (no pyplot: no global state shared between request threads) on the
Agg/SVG canvases. Text stays text in the SVG (``svg.fonttype: none``), so the browser draws it in
the page's fonts, Chinese included.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from collections import defaultdict
from typing import Any

log = logging.getLogger(__name__)

CHARTS = ("sentiment", "reasons", "languages", "accounts", "network")
SENTIMENT_COLOURS = {"negative": "#e0565b", "neutral": "#9aa5b1", "positive": "#2bb673"}
ACTION_COLOURS = {"hide": "#c2410c", "collapse": "#f59e0b", "blur": "#8b5cf6", "badge": "#3b82f6", "show": "#9aa5b1"}
COMMUNITY_COLOURS = ("#0f766e", "#e0565b", "#3b82f6", "#f59e0b", "#8b5cf6", "#10b981", "#ec4899", "#64748b",
                     "#84cc16", "#06b6d4")
THEMES = {
    "light": {"text": "#1f2933", "muted": "#5f6b7a", "grid": "#e1e5ea", "edge": "#b8c2cc", "yours": "#0f766e", "other": "#f59e0b"},
    "dark": {"text": "#e4e7eb", "muted": "#9aa5b1", "grid": "#2a3440", "edge": "#4a5768", "yours": "#2dd4bf", "other": "#fbbf24"},
}
MAX_NETWORK_NODES = 60
# matplotlib's rcParams are process-global and its layout code is not thread-safe: the companion
# serves requests from several threads, so charts are drawn one at a time (each takes ~0.1-0.5 s).
_DRAW_LOCK = threading.Lock()


def summary(stats: dict[str, Any], profile: dict[str, Any] | None) -> dict[str, Any]:
    """The numbers above the charts."""
    totals = stats.get("totals", {})
    days = stats.get("sentiment_by_day", [])
    pos = sum(d.get("positive", 0) for d in days)
    known = sum(d.get("positive", 0) + d.get("negative", 0) + d.get("neutral", 0) for d in days)
    return {
        "seen": totals.get("seen", 0),
        "filtered": totals.get("filtered", 0),
        "positive_share": f"{round(100 * pos / known)}%" if known else "—",
        "languages": len(stats.get("languages", [])),
        "accounts": len({(a["author"], a["site"]) for a in stats.get("top_authors", [])}),
    }


def render(name: str, stats: dict[str, Any], profile: dict[str, Any] | None, *, theme: str = "light",
           strings: dict[str, str] | None = None) -> str:
    """One chart as an SVG document."""
    import matplotlib

    matplotlib.use("Agg", force=False)  # never a GUI backend inside the companion
    from matplotlib.figure import Figure

    t = strings or {}
    colours = THEMES.get(theme, THEMES["light"])
    draw = {"sentiment": _sentiment, "reasons": _reasons, "languages": _languages, "accounts": _accounts,
            "network": _network}[name]
    size = {"sentiment": (10, 3.4), "accounts": (10, 3.8), "network": (10, 6.2)}.get(name, (5.6, 3.8))
    rc = {"svg.fonttype": "none", "font.size": 10, "text.color": colours["text"], "axes.labelcolor": colours["text"],
          "xtick.color": colours["muted"], "ytick.color": colours["muted"], "axes.edgecolor": colours["grid"],
          "font.family": "sans-serif",
          "font.sans-serif": ["DejaVu Sans", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "sans-serif"],
          "svg.hashsalt": "feedlens"}  # stable ids: the same data gives the same bytes
    with _DRAW_LOCK, matplotlib.rc_context(rc), warnings.catch_warnings():
        # Text is drawn by the browser; matplotlib only measures it, and may lack a CJK font to do so.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
        warnings.filterwarnings("ignore", message=r"findfont")
        fig = Figure(figsize=size, layout="constrained")
        fig.patch.set_alpha(0)
        ax = fig.add_subplot()
        ax.set_facecolor("none")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if not draw(fig, ax, stats, profile or {}, t, colours):
            ax.set_axis_off()
            ax.text(0.5, 0.5, t.get("c_no_data", "Nothing seen yet in this period"), ha="center", va="center",
                    color=colours["muted"], fontsize=12, transform=ax.transAxes)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", transparent=True, metadata={"Date": None})
    return buf.getvalue()


def _hbar_style(ax: Any, colours: dict[str, str]) -> None:
    ax.invert_yaxis()
    ax.grid(axis="x", color=colours["grid"], linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)


def _sentiment(fig: Any, ax: Any, stats: dict, profile: dict, t: dict, colours: dict) -> bool:
    days = stats.get("sentiment_by_day", [])
    if not days:
        return False
    from datetime import date

    xs = [date.fromisoformat(d["day"]) for d in days]
    bottom = [0] * len(days)
    for label in ("negative", "neutral", "positive"):
        ys = [d.get(label, 0) for d in days]
        ax.bar(xs, ys, bottom=bottom, color=SENTIMENT_COLOURS[label], width=0.8, label=t.get("c_" + label, label))
        bottom = [b + y for b, y in zip(bottom, ys)]
    ax.grid(axis="y", color=colours["grid"], linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_ylabel(t.get("c_posts", "posts"))
    import matplotlib.dates as mdates

    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax.legend(loc="upper left", frameon=False, ncols=3, bbox_to_anchor=(0, 1.12))
    return True


def reason_text(label: str, t: dict[str, str]) -> str:
    """A stored reason label (``dial:spam``, ``topic:US elections``, ``muted_word``; see
    ``companion.services._reason_label``) in the page's language."""
    kind, _, detail = label.partition(":")
    if kind == "dial" and f"dial_{detail}" in t:
        return t[f"dial_{detail}"]
    if kind == "topic" and detail:
        return f"{t.get('r_topic', 'Topic')}: {detail}"
    if kind in ("calm_harm",) and detail:
        return f"{t.get('r_calm_harm', 'Calm mode')}: {t.get('dial_' + detail, detail)}"
    return t.get(f"r_{kind}", label)


def _reasons(fig: Any, ax: Any, stats: dict, profile: dict, t: dict, colours: dict) -> bool:
    rows = [r for r in stats.get("actions_by_reason", []) if r["action"] != "show"]
    if not rows:
        return False
    by_reason: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        by_reason[r["reason"]][r["action"]] += r["count"]
    reasons = sorted(by_reason, key=lambda k: -sum(by_reason[k].values()))[:10]
    names = [reason_text(r, t) for r in reasons]
    left = [0] * len(reasons)
    for action in ("hide", "collapse", "blur", "badge"):
        ws = [by_reason[r].get(action, 0) for r in reasons]
        if any(ws):
            ax.barh(names, ws, left=left, color=ACTION_COLOURS[action], label=t.get("action_" + action, action), height=0.65)
            left = [a + b for a, b in zip(left, ws)]
    _hbar_style(ax, colours)
    ax.legend(loc="lower right", frameon=False, fontsize=9)
    return True


def _languages(fig: Any, ax: Any, stats: dict, profile: dict, t: dict, colours: dict) -> bool:
    rows = stats.get("languages", [])[:12]
    if not rows:
        return False
    mine = {str(code).split("-")[0] for code in profile.get("languages", [])}
    names = [r["lang"] for r in rows]
    fill = [colours["yours"] if r["lang"].split("-")[0] in mine else colours["other"] for r in rows]
    ax.barh(names, [r["count"] for r in rows], color=fill, height=0.65)
    _hbar_style(ax, colours)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=colours["yours"], label=t.get("c_yours", "your languages")),
                       Patch(color=colours["other"], label=t.get("c_foreign", "translated / other"))],
              loc="lower right", frameon=False, fontsize=9)
    return True


def _accounts(fig: Any, ax: Any, stats: dict, profile: dict, t: dict, colours: dict) -> bool:
    rows = stats.get("top_authors", [])[:12]
    if not rows:
        return False
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LinearSegmentedColormap, Normalize

    # The sentiment chart's colours, so red/grey/green mean the same everywhere on the page.
    cmap = LinearSegmentedColormap.from_list("tone", [SENTIMENT_COLOURS[k] for k in ("negative", "neutral", "positive")])
    norm = Normalize(-1, 1)
    tones = [r["avg_sentiment"] if r["avg_sentiment"] is not None else 0.0 for r in rows]
    ax.barh([f"{r['author']} · {r['site']}" for r in rows], [r["count"] for r in rows],
            color=[cmap(norm(v)) for v in tones], height=0.65)
    _hbar_style(ax, colours)
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, fraction=0.05, pad=0.02)
    bar.set_label(t.get("c_avg_tone", "average tone"))
    bar.outline.set_visible(False)
    bar.set_ticks([-1, 0, 1], labels=[t.get("c_negative", "negative"), t.get("c_neutral", "neutral"), t.get("c_positive", "positive")])
    return True


def communities(edges: list[dict[str, Any]], max_nodes: int = MAX_NETWORK_NODES) -> tuple[Any, list[set[str]]]:
    """The interaction graph (undirected, weighted by count, busiest ``max_nodes`` accounts) and its
    Louvain communities, largest first. Seeded: the same data always gives the same picture."""
    import networkx as nx

    g = nx.Graph()
    for e in edges:
        if e["src"] == e["dst"]:
            continue
        w = g.get_edge_data(e["src"], e["dst"], {}).get("weight", 0)
        g.add_edge(e["src"], e["dst"], weight=w + int(e.get("count", 1)))
    if g.number_of_nodes() > max_nodes:
        keep = sorted(g.degree(weight="weight"), key=lambda nd: -nd[1])[:max_nodes]
        g = g.subgraph([n for n, _ in keep]).copy()
    if g.number_of_nodes() == 0:
        return g, []
    found = nx.community.louvain_communities(g, weight="weight", seed=7)
    return g, sorted(found, key=len, reverse=True)


def _network(fig: Any, ax: Any, stats: dict, profile: dict, t: dict, colours: dict) -> bool:
    g, groups = communities(stats.get("interactions", []))
    if g.number_of_nodes() == 0:
        return False
    import networkx as nx
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    pos = nx.spring_layout(g, seed=7, weight="weight", k=1.6 / max(1, g.number_of_nodes()) ** 0.5)
    group_of = {n: i for i, members in enumerate(groups) for n in members}
    weights = [d["weight"] for _, _, d in g.edges(data=True)]
    top = max(weights) if weights else 1
    ax.add_collection(LineCollection([(pos[a], pos[b]) for a, b in g.edges()], colors=colours["edge"],
                                     linewidths=[0.6 + 2.4 * w / top for w in weights], alpha=0.7, zorder=1))
    nodes = list(g.nodes())
    degree = dict(g.degree(weight="weight"))
    biggest = max(degree.values()) or 1
    ax.scatter([pos[n][0] for n in nodes], [pos[n][1] for n in nodes],
               s=[60 + 500 * degree[n] / biggest for n in nodes],
               c=[COMMUNITY_COLOURS[group_of[n] % len(COMMUNITY_COLOURS)] for n in nodes],
               edgecolors="white", linewidths=0.8, zorder=2)
    for n in sorted(nodes, key=lambda n: -degree[n])[:14]:
        ax.annotate(n, pos[n], xytext=(0, 9 + 8 * degree[n] / biggest), textcoords="offset points", ha="center",
                    fontsize=8.5, color=colours["text"], zorder=3)
    label = t.get("c_community", "community %d")
    handles = [Line2D([], [], marker="o", linestyle="", markersize=8, color=COMMUNITY_COLOURS[i % len(COMMUNITY_COLOURS)],
                      label=f"{label % (i + 1)} · {len(members)}") for i, members in enumerate(groups[:6])]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    ax.set_axis_off()
    ax.margins(0.08)
    return True
