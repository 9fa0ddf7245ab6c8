"""End to end: the unpacked extension in Debian's Chromium (new headless) against the real companion.

    .venv/bin/pytest tests/e2e -q

Needs ``apt-get install chromium chromium-driver`` and ``pip install playwright`` (Playwright drives the
system Chromium; no browser download). Skips, saying why, when either is missing.

How it is wired:

- ``feedlens serve --port 0`` runs with a temporary ``FEEDLENS_HOME``; the test pairs through the real
  popup (Pair -> code -> ``feedlens pair approve CODE``) after setting the port in the real options page.
- The fixture feeds are served over HTTPS from one local server, and Chromium's
  ``--host-resolver-rules`` maps x.com, www.reddit.com, old.reddit.com, mastodon.social, bsky.app,
  www.youtube.com and weibo.com to it, so the real manifest's content-script matches apply.
- The service worker's ``fetch`` is wrapped (from the test, through DevTools) to record each
  ``/v1/analyze`` exchange; the DOM is then checked against exactly what the companion answered.
- The same fixtures on ``http://localhost:<other port>`` (no content script there) are the layout
  reference and the hostile origin.

Model-dependent cases (muted post hidden, toxic post blurred, Portuguese post translated) are asserted
only when the companion reports the capability (``/v1/status``, a working ``/v1/profile``); otherwise
they are skipped with the reason. Screenshots go to ``test-artifacts/e2e/``.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
EXT = ROOT / "extension"
FIXTURES = ROOT / "tests" / "extension" / "fixtures"
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FEEDLENS = [sys.executable, "-m", "companion"]

pw = pytest.importorskip("playwright.sync_api", reason="pip install playwright (drives the system chromium)")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium chromium-driver)", allow_module_level=True)

# host -> (fixture page, URL path, post-root selector, posts before scroll, after scroll, the site's own chrome)
SITES = {
    "x": ("x.com", "x.html", "/home", 'article[data-testid="tweet"]', 5, 7,
          ['header[role="banner"]', '[data-testid="sidebarColumn"]', 'main[role="main"]']),
    "reddit": ("www.reddit.com", "reddit.html", "/", "shreddit-post, shreddit-comment", 7, 9,
               ["reddit-header-large", "#right-sidebar-container", "#main-content"]),
    "reddit-old": ("old.reddit.com", "reddit-old.html", "/r/testing/", ".thing[data-fullname]", 7, 9,
                   ["#header", ".side", "#siteTable"]),
    "mastodon": ("mastodon.social", "mastodon.html", "/home", ".status[data-id]", 5, 7,
                 [".columns-area__panels__pane--compositional", ".columns-area__panels__pane--navigational", ".column-header"]),
    "bluesky": ("bsky.app", "bluesky.html", "/", '[data-testid^="feedItem-"]', 5, 7,
                ['nav[role="navigation"]', ".fb-right", ".fb-header"]),
    "youtube": ("www.youtube.com", "youtube.html", "/watch?v=dQw4w9WgXcQ", "ytd-comment-thread-renderer", 5, 7,
                ["#masthead-container", "#player", "#secondary"]),
    "weibo": ("weibo.com", "weibo.html", "/", 'article[class*="Feed_wrap"]', 6, 8,
              [".Frame_top_2ybWw", ".Frame_side_2u2hd", ".Frame_side2_3Sd1U"]),
}
HOST_TO_PAGE = {host: page for host, page, *_ in SITES.values()}
ADAPTER_OF = {"reddit-old": "reddit"}

# Wrap fetch in the service worker to record /v1/analyze exchanges (the request still goes to the companion).
RECORD_FETCH = """() => {
  if (globalThis.__feedlensRecorded) return 'already';
  globalThis.__feedlensRecorded = [];
  const real = globalThis.fetch.bind(globalThis);
  globalThis.fetch = async (url, init) => {
    let resp;
    try {
      resp = await real(url, init);
    } catch (err) {
      globalThis.__feedlensRecorded.push({url: String(url), error: String(err), request: null, status: 0});
      throw err;
    }
    if (String(url).endsWith('/v1/analyze')) {
      const body = await resp.clone().json().catch(() => null);
      globalThis.__feedlensRecorded.push({request: JSON.parse(init.body), status: resp.status, response: body});
    }
    return resp;
  };
  return 'wrapped';
}"""


COUNT_HANDLED = "([s, n]) => [...document.querySelectorAll(s)].filter((e) => e.hasAttribute('data-feedlens-id')).length >= n"


_STATE: dict = {}


def _companion_log() -> str:
    home, proc = _STATE.get("companion_home"), _STATE.get("companion_proc")
    if not home:
        return "(no companion)"
    state = "running" if proc.poll() is None else f"EXITED rc={proc.returncode}"
    return f"[companion {state}] " + (home / "serve.log").read_text(errors="replace")[-1500:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FixtureHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a site's fixture for any path on that site's host name; static files otherwise."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(FIXTURES), **kwargs)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        host = (self.headers.get("Host") or "").split(":")[0]
        path = self.path.split("?")[0]
        if host in HOST_TO_PAGE and path == "/hostile":
            return self.serve_hostile_in_site()
        if host in HOST_TO_PAGE and not path.endswith((".js", ".png", ".ico")):
            self.path = "/" + HOST_TO_PAGE[host]  # every path on a site host is that site's feed
        return super().do_GET()

    def serve_hostile_in_site(self):
        # A site page (content script present) that also runs the hostile script.
        html = (FIXTURES / "x.html").read_text(encoding="utf-8").replace(
            "</body>", '<script src="/hostile.js"></script></body>')
        data = html.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """HTTPS server for the mapped site hosts + plain HTTP server for the other local origin."""
    tmp = tmp_path_factory.mktemp("tls")
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make the test certificate")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=feedlens-e2e",
                    "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")], check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    https = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FixtureHandler)
    https.socket = ctx.wrap_socket(https.socket, server_side=True)
    plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FixtureHandler)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (https, plain)]
    for t in threads:
        t.start()
    yield {"https": https.server_address[1], "plain": plain.server_address[1]}
    for s in (https, plain):
        s.shutdown()
        s.server_close()


@pytest.fixture(scope="module")
def companion(tmp_path_factory):
    """The real companion: ``feedlens serve --port 0`` on a temporary FEEDLENS_HOME."""
    home = tmp_path_factory.mktemp("feedlens-home")
    # No Secret Service here: the vault runs in its passphrase mode (a test-only passphrase).
    env = {**os.environ, "FEEDLENS_HOME": str(home), "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1", "FEEDLENS_PASSPHRASE": "e2e-only-passphrase"}
    env.setdefault("FEEDLENS_MODELS", str(ROOT / ".cache" / "models"))
    log = (home / "serve.log").open("w")
    proc = subprocess.Popen([*FEEDLENS, "serve", "--port", "0"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=log, text=True)
    port = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and port is None:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
    if port is None:
        proc.kill()
        proc.wait()
        log.close()
        pytest.fail(f"feedlens serve did not start: {(home / 'serve.log').read_text()[-2000:]}")
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # drain
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if requests.get(f"{base}/v1/health", timeout=2).ok:
                break
        except requests.ConnectionError:
            time.sleep(0.1)
    _STATE["companion_home"] = home
    _STATE["companion_proc"] = proc
    yield {"port": port, "base": base, "env": env, "home": home}
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stdout.close()
    log.close()


@pytest.fixture(autouse=True)
def companion_alive(request):
    """A companion that crashed fails the tests that need it at once, with its log, not after timeouts."""
    proc = _STATE.get("companion_proc")
    if "companion" in request.fixturenames and proc is not None and proc.poll() is not None:
        pytest.fail(f"the companion exited earlier (rc={proc.returncode}); its log ends: {_companion_log()}")


@pytest.fixture(scope="module")
def browser(servers, tmp_path_factory):
    """Chromium with the unpacked extension; site hosts resolve to the local fixture server."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    rules = ", ".join(f"MAP {host} 127.0.0.1:{servers['https']}" for host in HOST_TO_PAGE) + ", EXCLUDE localhost"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with pw.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=False, viewport={"width": 1280, "height": 900},
            ignore_https_errors=True,
            args=["--headless=new", f"--disable-extensions-except={EXT}", f"--load-extension={EXT}", "--no-sandbox",
                  "--disable-background-networking", "--disable-component-update", "--no-first-run",
                  "--disable-features=DisableLoadExtensionCommandLineSwitch", f"--host-resolver-rules={rules}",
                  "--ignore-certificate-errors", "--disable-gpu"])
        sw = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker", timeout=30000)
        ext_id = sw.url.split("/")[2]
        yield {"context": context, "ext_id": ext_id, "sw": sw}
        context.close()


def ext_page(browser, path):
    page = browser["context"].new_page()
    page.goto(f"chrome-extension://{browser['ext_id']}/{path}")
    return page


def worker(browser):
    """The extension's current service worker (it may have been restarted)."""
    workers = [w for w in browser["context"].service_workers if browser["ext_id"] in w.url]
    return workers[0] if workers else browser["context"].wait_for_event("serviceworker", timeout=15000)


def set_port(browser, port: int):
    page = ext_page(browser, "ui/options/options.html")
    page.fill("#port", str(port))
    page.click("#save-port")
    page.wait_for_function("p => document.getElementById('port').value === String(p)", arg=port)
    page.close()


@pytest.fixture(scope="module")
def paired(browser, companion):
    """Pair through the real popup: Pair -> code shown -> ``feedlens pair approve CODE`` -> paired."""
    set_port(browser, companion["port"])
    popup = ext_page(browser, "ui/popup/popup.html")
    popup.wait_for_selector("#pair:visible", timeout=15000)
    popup.click("#pair")
    code = popup.wait_for_selector("#pair-code:visible").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9-]{4,12}", code), code
    popup.screenshot(path=str(ARTIFACTS / "popup-pairing-code.png"))
    assert popup.inner_text("#pair-cli") == f"feedlens pair approve {code}"
    done = subprocess.run([*FEEDLENS, "pair", "approve", code], cwd=ROOT, env=companion["env"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    popup.wait_for_selector("#state-line.state-ok", timeout=15000)
    state = popup.inner_text("#state-line")
    popup.screenshot(path=str(ARTIFACTS / "popup-paired.png"))
    popup.close()
    token = worker(browser).evaluate("() => chrome.storage.local.get('token').then((s) => s.token)")
    assert token and len(token) >= 32
    return {"token": token, "state": state}


def status(companion, paired) -> dict:
    r = requests.get(f"{companion['base']}/v1/status", headers={"Authorization": f"Bearer {paired['token']}"}, timeout=10)
    r.raise_for_status()
    return r.json()


def recorded(browser) -> list[dict]:
    return worker(browser).evaluate("() => globalThis.__feedlensRecorded || []")


def open_site(browser, site: str, servers, scroll: bool = True):
    """Open a site's fixture at its real host name; wait until every post is handled, scrolling once."""
    host, page_file, path, sel, before, after, _ = SITES[site]
    worker(browser).evaluate(RECORD_FETCH)
    page = browser["context"].new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.goto(f"https://{host}{path}")
    try:
        page.wait_for_function(COUNT_HANDLED, arg=[sel, before], timeout=60000)
        if scroll:
            page.mouse.wheel(0, 20000)
            page.wait_for_function("() => document.documentElement.dataset.fixtureLoadedMore === 'true'", timeout=10000)
            page.wait_for_function(COUNT_HANDLED, arg=[sel, after], timeout=60000)
    except pw.TimeoutError as exc:
        raise AssertionError(f"{site}: posts not handled in time; page console: {console[-10:]}; "
                             f"worker exchanges: {str(recorded(browser))[-300:]}; companion log: "
                             f"{_companion_log()}") from exc
    page.evaluate("() => window.scrollTo(0, 0)")
    return page


def verdicts_by_id(browser) -> dict[str, dict]:
    out = {}
    for exchange in recorded(browser):
        if exchange.get("error"):
            continue
        assert exchange["status"] == 200, exchange
        for v in exchange["response"]["verdicts"]:
            out[v["id"]] = v
    return out


def roots(page, sel) -> list[dict]:
    return page.eval_on_selector_all(sel, """els => els.filter((e) => !e.closest('[contenteditable]')).map((e) => ({
        id: e.getAttribute('data-feedlens-id'), action: e.getAttribute('data-feedlens-action'),
        lang: e.getAttribute('data-feedlens-lang'), sentiment: e.getAttribute('data-feedlens-sentiment'),
        key: (e.closest('[data-fixture-key]') || e.querySelector('[data-fixture-key]') || e).getAttribute('data-fixture-key'),
        display: getComputedStyle(e).display,
        placeholder: !!(e.previousElementSibling && e.previousElementSibling.classList.contains('feedlens-placeholder')),
        translation: (e.querySelector('.feedlens-translation .feedlens-tr-text') || {}).textContent || null,
        blurred: [...e.querySelectorAll('[data-feedlens-part="blur"]')].some((b) => getComputedStyle(b).filter.includes('blur')),
        collapsed: [...e.querySelectorAll('[data-feedlens-part="collapse"]')].some((b) => getComputedStyle(b).display === 'none'),
      }))""")


def layout(page, selectors) -> dict:
    # Same scrollbar on both pages (Feedlens's UI makes a short page scroll; centred layouts then shift).
    return page.evaluate("""sels => (document.documentElement.style.overflowY = 'scroll', {
        boxes: sels.map((s) => { const r = document.querySelector(s).getBoundingClientRect();
                                 return [Math.round(r.x), Math.round(r.width)]; }),
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth })""", selectors)


@pytest.mark.parametrize("site", list(SITES))
def test_site_feed_is_marked_exactly_as_the_companion_decided(browser, servers, companion, paired, site):
    host, page_file, path, sel, before, after, chrome = SITES[site]
    page = open_site(browser, site, servers)
    verdicts = verdicts_by_id(browser)
    handled = [r for r in roots(page, sel) if r["id"]]
    assert len(handled) == after, handled
    adapter = ADAPTER_OF.get(site, site)
    for r in handled:
        assert r["id"].startswith(f"{adapter}:")
        v = verdicts[r["id"]]
        expected = v["action"] if v["action"] in ("show", "blur", "collapse", "hide") else "show"
        assert r["action"] == expected, (r, v)
        assert r["lang"] == v.get("lang", "und")
        assert r["sentiment"] == (v.get("sentiment") or {}).get("label"), (r, v)
        if expected == "hide":
            assert r["display"] == "none" and r["placeholder"], r
        if expected == "blur":
            assert r["blurred"], r
        if expected == "collapse":
            assert r["collapsed"], r
        if (v.get("translation") or {}).get("text"):
            assert r["translation"] == v["translation"]["text"]
        elif v.get("translation"):  # no model for that language: nothing shown, the page untouched
            assert not r["translation"], r
    # The Portuguese post was recognised as Portuguese by the companion's language ID.
    pt = next(r for r in handled if r["key"] == "portuguese")
    assert pt["lang"] == "pt"
    # The page's own layout is intact: the site's header/sidebars/column sit where they do without Feedlens.
    ref = browser["context"].new_page()
    ref.goto(f"http://localhost:{servers['plain']}/{page_file}")
    assert layout(page, chrome) == layout(ref, chrome)
    assert layout(page, chrome)["overflow"] <= 0
    ref.close()
    page.screenshot(path=str(ARTIFACTS / f"{site}.png"), full_page=True)
    page.close()


def test_rerendered_post_gets_its_verdict_back_without_a_new_request(browser, servers, companion, paired):
    page = open_site(browser, "x", servers, scroll=False)
    worker(browser).evaluate("() => { globalThis.__feedlensRecorded.length = 0; }")
    page.evaluate("""() => {  // React-style: the cell is replaced by fresh markup for the same tweet
        const art = document.querySelector('[data-fixture-key="neutral"]');
        const cell = art.closest('[data-testid="cellInnerDiv"]');
        const fresh = cell.cloneNode(true);
        fresh.querySelectorAll('.feedlens-ui, .feedlens-placeholder').forEach((n) => n.remove());
        const a = fresh.querySelector('article');
        [...a.attributes].filter((x) => x.name.startsWith('data-feedlens')).forEach((x) => a.removeAttribute(x.name));
        cell.replaceWith(fresh);
    }""")
    page.wait_for_selector('[data-fixture-key="neutral"][data-feedlens-id]', timeout=10000)
    assert page.locator('[data-fixture-key="neutral"] .feedlens-ui').count() == 1
    assert recorded(browser) == []
    page.close()


def test_popup_reports_counts_for_the_page(browser, servers, companion, paired):
    page = open_site(browser, "mastodon", servers, scroll=False)
    popup = ext_page(browser, "ui/popup/popup.html")
    counts = popup.evaluate("""async () => {
        // Without the "tabs" permission tab URLs are hidden: ask every tab, keep the Mastodon answer.
        const tabs = await chrome.tabs.query({});
        const replies = await Promise.all(tabs.map((t) => chrome.tabs.sendMessage(t.id, {type: 'ui-cs-get-counts', id: 't', data: {}})
          .catch(() => null)));
        return replies.find((r) => r && r.data && r.data.site === 'mastodon');
    }""")
    assert counts["data"]["site"] == "mastodon" and counts["data"]["active"] is True
    assert counts["data"]["counts"]["found"] == 5
    assert sum(counts["data"]["counts"][k] for k in ("show", "blur", "collapse", "hide")) == 5
    popup.close()
    page.close()


def test_pausing_removes_feedlens_from_pages_and_resuming_restores_it(browser, servers, companion, paired):
    page = open_site(browser, "bluesky", servers, scroll=False)
    w = worker(browser)
    w.evaluate("() => chrome.storage.local.set({paused: true})")
    page.wait_for_function("() => !document.querySelector('[data-feedlens-id], .feedlens-ui')", timeout=10000)
    w.evaluate("() => chrome.storage.local.set({paused: false})")
    page.wait_for_function("() => document.querySelectorAll('[data-feedlens-id]').length >= 5", timeout=30000)
    page.close()


def test_companion_not_running_is_shown_plainly_and_pages_are_left_alone(browser, servers, companion, paired):
    set_port(browser, free_port())  # nothing listens there
    try:
        popup = ext_page(browser, "ui/popup/popup.html")
        popup.wait_for_function("() => document.getElementById('state-line').textContent.includes('not running')",
                                timeout=20000)
        popup.screenshot(path=str(ARTIFACTS / "popup-not-running.png"))
        popup.close()
        page = browser["context"].new_page()
        page.goto("https://bsky.app/")
        page.wait_for_timeout(2500)  # batch + retries with backoff
        assert page.locator("[data-feedlens-id], .feedlens-ui").count() == 0
        page.close()
    finally:
        set_port(browser, companion["port"])


def _api(companion, paired, method, path, **kw):
    r = requests.request(method, f"{companion['base']}{path}", headers={"Authorization": f"Bearer {paired['token']}"},
                         timeout=30, **kw)
    assert r.ok, (r.status_code, r.text[:300])
    return r.json()


def test_options_page_edits_the_companions_profile(browser, servers, companion, paired):
    page = ext_page(browser, "ui/options/options.html")
    page.wait_for_selector("#profile-fields:not([disabled])", timeout=15000)
    page.fill("#mute_words", "giveaway-e2e\nspoilers")
    page.select_option("#dial_spam", "high")
    page.fill("#topics", "US elections = collapse")
    page.uncheck("#site_weibo")
    page.click("#profile-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('profile-state').textContent === 'Saved'", timeout=15000)
    page.screenshot(path=str(ARTIFACTS / "options.png"), full_page=True)
    page.close()
    profile = _api(companion, paired, "GET", "/v1/profile")
    assert {"giveaway-e2e", "spoilers"} <= set(profile["mutes"]["words"])
    assert profile["dials"]["spam"] == "high"
    assert profile["topics"][0]["text"] == "US elections" and profile["topics"][0]["action"] == "collapse"
    assert profile["sites"]["weibo"] is False
    assert worker(browser).evaluate("() => chrome.storage.local.get('sites').then((s) => s.sites.weibo)") is False
    # Back on for the tests that follow.
    worker(browser).evaluate("() => chrome.storage.local.get('sites').then((s) => chrome.storage.local.set({sites: {...s.sites, weibo: true}}))")


def test_feedback_buttons_reach_the_companion(browser, servers, companion, paired):
    page = open_site(browser, "bluesky", servers, scroll=False)
    post = page.locator('[data-fixture-key="neutral"] [data-testid^="feedItem-"], [data-fixture-key="neutral"]').first
    post.hover()
    post.get_by_role("button", name="Less like this").click()
    post.get_by_role("button", name="Hide author").click()
    assert post.get_attribute("data-feedlens-action") == "hide"
    page.wait_for_timeout(1500)
    profile = _api(companion, paired, "GET", "/v1/profile")
    assert "@alice.bsky.social" in profile["mutes"]["accounts"], profile["mutes"]
    export = json.dumps(_api(companion, paired, "GET", "/v1/export"))
    assert export.count('"bluesky:alice.bsky.social/3lb00abcdef2x"') >= 2, "both feedback events stored"
    page.close()


# ----------------------------------------------------------------- model-dependent cases

def _profile_put(browser, profile_update: dict):
    return worker(browser).evaluate("""async (update) => {
        // From the worker's own context: the router accepts profile messages only from UI pages.
        const s = await chrome.storage.local.get(['port', 'token']);
        const base = 'http://127.0.0.1:' + s.port;
        const h = {'Authorization': 'Bearer ' + s.token, 'Content-Type': 'application/json'};
        const cur = await fetch(base + '/v1/profile', {headers: h});
        if (cur.status !== 200) return {status: cur.status, body: await cur.text()};
        const profile = {...(await cur.json()), ...update};
        const put = await fetch(base + '/v1/profile', {method: 'PUT', headers: h, body: JSON.stringify(profile)});
        return {status: put.status, body: await put.text()};
    }""", profile_update)


def test_muted_post_is_hidden_with_a_placeholder(browser, servers, companion, paired):
    r = _profile_put(browser, {"mutes": {"words": ["crypto"], "phrases": [], "regexes": [], "accounts": []}})
    if r["status"] != 200:
        pytest.skip(f"companion cannot set the profile yet (GET/PUT /v1/profile -> {r['status']}): mutes untestable")
    # /v1/status does not report the decision layer; probe it the way the extension would be answered.
    probe = requests.post(f"{companion['base']}/v1/analyze", headers={"Authorization": f"Bearer {paired['token']}"},
                          json={"site": "x", "posts": [{"id": "probe", "text": "Free crypto giveaway now! Click the link."}]},
                          timeout=60).json()["verdicts"][0]
    if probe["action"] != "hide":
        pytest.skip(f"companion does not apply mutes yet (a post with a muted word came back {probe['action']!r})")
    page = open_site(browser, "x", servers, scroll=False)
    muted = next(x for x in roots(page, SITES["x"][3]) if x["key"] == "muted")
    assert muted["action"] == "hide" and muted["display"] == "none" and muted["placeholder"], muted
    page.locator(".feedlens-placeholder button").first.click()
    assert page.eval_on_selector('[data-fixture-key="muted"]', "e => getComputedStyle(e).display") != "none"
    page.screenshot(path=str(ARTIFACTS / "x-muted-opened.png"))
    page.close()


def test_toxic_post_is_blurred(browser, servers, companion, paired):
    st = status(companion, paired)
    heads = (st.get("models") or {}).get("heads") or {}
    if not heads.get("loaded"):
        pytest.skip(f"companion reports no task heads loaded: {heads.get('problem', heads)}")
    page = open_site(browser, "reddit", servers, scroll=False)
    verdicts = verdicts_by_id(browser)
    toxic = next(x for x in roots(page, SITES["reddit"][3]) if x["key"] == "toxic")
    v = verdicts[toxic["id"]]
    assert (v.get("scores") or {}).get("toxicity", 0) > 0.5, v
    assert toxic["action"] == v["action"] == "blur", (toxic, v)
    assert toxic["blurred"]
    page.screenshot(path=str(ARTIFACTS / "reddit-toxic-blurred.png"))
    page.close()


def test_portuguese_post_is_translated_under_the_original(browser, servers, companion, paired):
    st = status(companion, paired)
    models = st.get("models") or {}
    translation = {k: v for k, v in models.items() if "transl" in k}
    reported = any((v or {}).get("loaded") or (v or {}).get("pairs") for v in translation.values())
    if not reported:  # /v1/status may not list translation engines: ask the translate endpoint itself
        probe = requests.post(f"{companion['base']}/v1/translate", headers={"Authorization": f"Bearer {paired['token']}"},
                              json={"texts": ["Bom dia a todos."], "from": "pt", "to": "en"}, timeout=120)
        if probe.status_code != 200:
            pytest.skip(f"companion has no pt->en translation: /v1/status {translation or 'lists none'}, "
                        f"/v1/translate -> {probe.status_code} {probe.text[:200]}")
    profile = _api(companion, paired, "GET", "/v1/profile")
    if not profile.get("auto_translate") or "pt" in profile.get("languages", []):
        pytest.skip("the profile does not ask for automatic translation of Portuguese")
    page = open_site(browser, "mastodon", servers, scroll=False)
    verdicts = verdicts_by_id(browser)
    pt = next(x for x in roots(page, SITES["mastodon"][3]) if x["key"] == "portuguese")
    v = verdicts[pt["id"]]
    assert v.get("translation"), f"companion loaded translation but did not translate: {v}"
    assert pt["translation"] == v["translation"]["text"]
    assert page.inner_text('[data-fixture-key="portuguese"] .status__content').startswith("Bom dia")
    page.click('[data-fixture-key="portuguese"] .feedlens-tr-toggle')
    assert page.locator('[data-fixture-key="portuguese"] .feedlens-translation').is_hidden()
    page.click('[data-fixture-key="portuguese"] .feedlens-tr-toggle')
    page.screenshot(path=str(ARTIFACTS / "mastodon-translated.png"))
    page.close()


# ----------------------------------------------------------------- hostile pages

def test_hostile_origin_cannot_call_the_companion(browser, servers, companion, paired):
    page = browser["context"].new_page()
    page.goto(f"http://localhost:{servers['plain']}/hostile.html?port={companion['port']}")
    page.wait_for_function("() => window.__hostile && window.__hostile.done", timeout=20000)
    result = page.evaluate("() => window.__hostile")
    # The browser sees no CORS grant: every read is blocked; the no-cors POST stays opaque.
    for name in ("health", "analyze", "pair"):
        assert result["fetches"][name].startswith("blocked"), result
    assert result["runtime"] is False, "no extension messaging is exposed to web pages"
    page.close()
    # What the companion answers that origin, directly: 403 for every endpoint, with or without a token.
    origin = {"Origin": f"http://localhost:{servers['plain']}"}
    auth = {"Authorization": f"Bearer {paired['token']}"}
    base = companion["base"]
    assert requests.get(f"{base}/v1/health", headers=origin, timeout=5).status_code == 403
    assert requests.post(f"{base}/v1/analyze", headers={**origin, **auth}, json={"site": "x", "posts": []}, timeout=5).status_code == 403
    r = requests.post(f"{base}/v1/pair/request", headers=origin, json={"extension_id": "evil", "name": "evil"}, timeout=5)
    assert r.status_code == 403 and "access-control-allow-origin" not in {k.lower() for k in r.headers}
    # And a rebinding attempt (foreign Host) is refused.
    assert requests.get(f"{base}/v1/health", headers={"Host": f"evil.example:{companion['port']}"}, timeout=5).status_code == 421


def test_hostile_postmessage_inside_a_site_page_is_ignored(browser, servers, companion, paired):
    worker(browser).evaluate(RECORD_FETCH)
    worker(browser).evaluate("() => { globalThis.__feedlensRecorded.length = 0; }")
    page = browser["context"].new_page()
    page.goto(f"https://x.com/hostile?port={companion['port']}")
    page.wait_for_function("() => window.__hostile && window.__hostile.done", timeout=20000)
    page.wait_for_selector('article[data-testid="tweet"][data-feedlens-id]', timeout=30000)
    page.wait_for_timeout(500)
    result = page.evaluate("() => window.__hostile")
    assert result["replies"] == [], "the content script answered a page message"
    assert result["runtime"] is False
    sent = [p["id"] for ex in recorded(browser) for p in ex["request"]["posts"]]
    assert "x:666" not in sent and "x:667" not in sent, sent
    assert all(i.startswith("x:17900") for i in sent), sent
    page.close()


# ----------------------------------------------------------------- rendering in the real browser
# The companion decides what is shown; this part checks how each decision looks on every site's markup
# in real Chromium (CSS, light/dark, layout), with a scripted verdict per fixture post. The content
# scripts and stylesheet are the extension's own files, injected into the fixture on the local origin.

GALLERY_VERDICTS = {
    "neutral": {"action": "show", "lang": "en", "reasons": [], "sentiment": {"label": "neutral", "score": 0.81}},
    "positive": {"action": "badge", "lang": "en", "reasons": [], "sentiment": {"label": "positive", "score": 0.97}},
    "toxic": {"action": "blur", "lang": "en", "sentiment": {"label": "negative", "score": 0.94},
              "scores": {"toxicity": 0.93}, "reasons": [{"kind": "dial", "text": "toxicity 0.93 is over your low dial"}]},
    "portuguese": {"action": "show", "lang": "pt", "sentiment": {"label": "positive", "score": 0.88}, "reasons": [],
                   "translation": {"text": "Good morning everyone! Today the weather is great for a walk in the park with the family.",
                                   "from": "pt", "to": "en"}},
    "muted": {"action": "hide", "lang": "en", "reasons": [{"kind": "mute", "text": "muted word \u201ccrypto\u201d"}]},
    "chinese": {"action": "collapse", "lang": "zh", "reasons": [{"kind": "topic", "text": "topic \u201cweather\u201d"}]},
    "comment-toxic": {"action": "collapse", "lang": "en", "sentiment": {"label": "negative", "score": 0.9},
                      "reasons": [{"kind": "dial", "text": "offensive 0.88 is over your medium dial"}]},
}
GALLERY = ["x.html", "x-dark.html", "reddit.html", "reddit-old.html", "mastodon.html", "bluesky.html", "youtube.html",
           "youtube-light.html", "weibo.html"]
ADAPTER_FOR = {"x": "x", "reddit": "reddit", "mastodon": "mastodon", "bluesky": "bluesky", "youtube": "youtube", "weibo": "weibo"}


@pytest.mark.parametrize("fixture", GALLERY)
def test_every_action_renders_in_the_sites_look(browser, servers, fixture):
    messages = json.loads((EXT / "_locales" / "en" / "messages.json").read_text(encoding="utf-8"))
    adapter_id = ADAPTER_FOR[fixture.split("-")[0].split(".")[0]]
    page = browser["context"].new_page()
    page.goto(f"http://localhost:{servers['plain']}/{fixture}")
    before = layout(page, ["body"])
    files = json.loads((EXT / "manifest.json").read_text())["content_scripts"][0]["js"]
    for f in files:
        if not f.endswith("main.js"):
            page.add_script_tag(path=str(EXT / f))
    page.add_style_tag(path=str(EXT / "content" / "feedlens.css"))
    rendered = page.evaluate("""([adapterId, verdicts, messages]) => {
        const FL = window.Feedlens;
        const t = (key, subs) => { const m = messages[key]; if (!m) return key; const a = [].concat(subs ?? []);
          return m.message.replace(/\\$ARG(\\d)\\$/g, (_, n) => a[n - 1] ?? ''); };
        const adapter = FL.adapters.find((a) => a.id === adapterId);
        const r = new FL.Renderer({doc: document, t});
        const out = {};
        for (const el of document.querySelectorAll(adapter.selectors.post)) {
          if (el.closest('[contenteditable]')) continue;
          const key = (el.closest('[data-fixture-key]') || el).getAttribute('data-fixture-key');
          const post = adapter.extract(el);
          const v = verdicts[key] || {action: 'show', lang: 'en', reasons: []};
          r.apply(el, post, {id: post.id, ...v}, adapter);
          out[key] = {action: el.getAttribute('data-feedlens-action'), display: getComputedStyle(el).display,
            theme: el.querySelector('.feedlens-ui') ? el.querySelector('.feedlens-ui').dataset.feedlensTheme : null,
            blurred: [...el.querySelectorAll('[data-feedlens-part="blur"]')].some((b) => getComputedStyle(b).filter.includes('blur')),
            collapsed: ((c) => c.length > 0 && c.every((b) => getComputedStyle(b).display === 'none'))(
              [...el.querySelectorAll('[data-feedlens-part="collapse"]')]),
            reply: ((r) => r ? r.offsetHeight > 0 && getComputedStyle(r).display !== 'none' : null)(
              document.querySelector('[data-fixture-key="comment-reply"] [slot="comment"], [data-fixture-key="comment-reply"] .usertext-body')),
            translation: (() => { const n = el.querySelector('.feedlens-translation'); return n && n.offsetHeight > 0 ? n.innerText : null; })(),
            placeholder: !!(el.previousElementSibling && el.previousElementSibling.matches('.feedlens-placeholder')
                            && el.previousElementSibling.offsetHeight > 0 && el.previousElementSibling.offsetHeight <= 40)};
        }
        return out;
    }""", [adapter_id, GALLERY_VERDICTS, messages])
    dark = fixture in ("x-dark.html", "youtube.html", "mastodon.html")
    assert {v["theme"] for v in rendered.values()} == {"dark" if dark else "light"}
    assert rendered["toxic"]["action"] == "blur" and rendered["toxic"]["blurred"]
    assert rendered["muted"]["action"] == "hide" and rendered["muted"]["display"] == "none" and rendered["muted"]["placeholder"]
    assert rendered["positive"]["action"] == "show"
    assert "Good morning everyone" in rendered["portuguese"]["translation"]
    if "chinese" in rendered:
        assert rendered["chinese"]["collapsed"]
    if "comment-toxic" in rendered:
        assert rendered["comment-toxic"]["collapsed"]
        assert rendered["comment-toxic"]["reply"], "a reply under a collapsed comment stays readable"
    assert layout(page, ["body"])["overflow"] <= 0, "no horizontal overflow"
    assert layout(page, ["body"])["boxes"] == before["boxes"]
    page.screenshot(path=str(ARTIFACTS / f"render-{fixture.replace('.html', '')}.png"), full_page=True)
    # Opening the hidden post and the blurred one works in the real browser too.
    page.click(".feedlens-bar-blur button")
    page.click(".feedlens-placeholder button")
    assert page.evaluate("() => [...document.querySelectorAll('[data-feedlens-action=\"hide\"]')].every((e) => getComputedStyle(e).display !== 'none')")
    page.close()
