"""The dashboard: charts drawn from the vault's aggregates, communities found by networkx."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from companion.web import charts
from webtools import seed_history
from helpers import BASE


@pytest.fixture
def seeded(web_app):
    seed_history(web_app.extensions["feedlens"].vault, days=10)
    return web_app


def test_the_dashboard_shows_numbers_and_every_chart(seeded, session):
    page = session.get("/settings/dashboard", base_url=BASE).get_data(as_text=True)
    for name in charts.CHARTS:
        assert f"/settings/charts/{name}.svg?theme=light" in page and f"/settings/charts/{name}.svg?theme=dark" in page
    assert "posts seen" in page


@pytest.mark.parametrize("name", charts.CHARTS)
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_each_chart_is_an_svg_of_the_data(seeded, session, name, theme):
    r = session.get(f"/settings/charts/{name}.svg?theme={theme}&days=30", base_url=BASE)
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    root = ET.fromstring(r.data)
    assert root.tag.endswith("svg")
    assert "Nothing seen yet" not in r.get_data(as_text=True)
    assert "script" not in r.get_data(as_text=True)


def test_charts_say_so_when_there_is_no_data(session):
    r = session.get("/settings/charts/network.svg", base_url=BASE)
    assert r.status_code == 200 and "Nothing seen yet in this period" in r.get_data(as_text=True)


def test_chart_labels_follow_the_ui_language(seeded, session):
    svg = session.get("/settings/charts/sentiment.svg?lang=zh", base_url=BASE).get_data(as_text=True)
    assert "负面" in svg and "正面" in svg


@pytest.mark.parametrize("label, en, zh", [
    ("dial:spam", "Spam", "垃圾信息"), ("topic:US elections", "Topic: US elections", "话题: US elections"),
    ("muted_word", "Muted word", "屏蔽的词"), ("something_new", "something_new", "something_new"),
])
def test_reason_labels_read_as_words_in_both_languages(label, en, zh):
    from companion.web import i18n

    assert charts.reason_text(label, i18n.strings("en")) == en
    assert charts.reason_text(label, i18n.strings("zh")) == zh


def test_unknown_chart_and_bad_range_are_clear_errors(session):
    r = session.get("/settings/charts/pie.svg", base_url=BASE)
    assert r.status_code == 400 and "network" in r.json["error"]
    r = session.get("/settings/dashboard?days=9999", base_url=BASE)
    assert r.status_code == 400 and "1 to 365" in r.json["error"]


def test_louvain_finds_the_clusters_of_who_talks_to_whom():
    edges = []
    for group in (["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"], ["c1", "c2", "c3"]):
        edges += [{"src": s, "dst": d, "count": 3} for s in group for d in group if s < d]
    edges.append({"src": "a1", "dst": "b1", "count": 1})  # one weak bridge
    graph, groups = charts.communities(edges)
    assert graph.number_of_nodes() == 11
    assert sorted(sorted(g) for g in groups) == [["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"], ["c1", "c2", "c3"]]


def test_serving_the_api_alone_never_imports_matplotlib_or_networkx(tmp_path):
    code = (
        "import sys\n"
        "from companion.app import create_app\n"
        f"app = create_app({{'data_dir': {str(tmp_path)!r}, 'port': 8795}})\n"
        "c = app.test_client()\n"
        "assert c.get('/v1/health', base_url='http://127.0.0.1:8795').status_code == 200\n"
        "c.get('/settings', base_url='http://127.0.0.1:8795')\n"
        "bad = [m for m in ('matplotlib', 'networkx') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
