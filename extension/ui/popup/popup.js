/* Popup: paired or not (and pairing), this site on/off, pause everywhere, counts for this page. */
(function () {
  const {api, ask, t, localize} = FeedlensUI;
  const MSG = FeedlensMsg;
  const $ = (id) => document.getElementById(id);
  let tab = null;
  let site = null;
  let pollTimer = null;

  function showState(st) {
    const line = $('state-line');
    const text = {ok: 'statePaired', unpaired: 'stateUnpaired', not_running: 'stateNotRunning', error: 'stateError'}[st.state] || 'stateUnknown';
    line.textContent = t(text);
    line.className = st.state === 'ok' && st.paired ? 'state-ok' : 'state-bad';
    if (st.state === 'not_running' || st.state === 'error') {
      const detail = document.createElement('div');
      detail.className = 'muted';
      detail.textContent = st.message;
      line.appendChild(detail);
    }
    $('pair-box').hidden = st.paired || st.state === 'not_running';
    if (st.pairing && !st.paired) showCode(st.pairing);
    $('paused').checked = st.paused;
    if (site) $('site-on').checked = st.sites[site] !== false;
  }

  function showCode(pairing) {
    $('pair-code-box').hidden = false;
    $('pair-code').textContent = pairing.code;
    $('pair-cli').textContent = `feedlens pair approve ${pairing.code}`;
    if (!pollTimer) pollTimer = setInterval(poll, 1500);
  }

  async function poll() {
    try {
      const r = await ask(MSG.UI_BG_PAIR_POLL);
      if (r.paired || r.status === 'denied' || r.status === 'expired' || r.status === 'none') {
        clearInterval(pollTimer);
        pollTimer = null;
        $('pair-code-box').hidden = true;
        refresh();
      }
    } catch (err) {
      $('state-line').textContent = err.message;
    }
  }

  async function refresh() {
    try {
      showState(await ask(MSG.UI_BG_GET_STATE));
    } catch (err) {
      $('state-line').textContent = err.message;
    }
  }

  async function counts() {
    if (!tab) return;
    try {
      const reply = await api.tabs.sendMessage(tab.id, {type: MSG.UI_CS_GET_COUNTS, id: 'popup', data: {}});
      site = reply && reply.data && reply.data.site;
      const c = reply && reply.data && reply.data.counts;
      $('site-label').textContent = site ? t('siteSwitchFor', [site]) : t('siteSwitch');
      if (!c) return;
      $('counts-card').hidden = false;
      const rows = ['found', 'show', 'blur', 'collapse', 'hide', 'translated'];
      $('counts').replaceChildren(...rows.map((k) => {
        const tr = document.createElement('tr');
        const a = document.createElement('td');
        const b = document.createElement('td');
        a.textContent = t(`count_${k}`);
        b.textContent = String(c[k] || 0);
        tr.append(a, b);
        return tr;
      }));
    } catch (err) {
      // No content script on this tab: offer to enable Feedlens here (any Mastodon instance).
      $('site-on').disabled = true;
      if (tab.url && tab.url.startsWith('https://')) $('enable-here').hidden = false;
    }
  }

  $('pair').addEventListener('click', async () => {
    try {
      showCode(await ask(MSG.UI_BG_PAIR_START).then((d) => d.pairing));
    } catch (err) {
      $('state-line').textContent = err.message;
    }
  });
  $('paused').addEventListener('change', (ev) => api.storage.local.set({paused: ev.target.checked}));
  $('site-on').addEventListener('change', async (ev) => {
    if (!site) return;
    const s = await api.storage.local.get('sites');
    await api.storage.local.set({sites: {...MSG.DEFAULT_SETTINGS.sites, ...(s.sites || {}), [site]: ev.target.checked}});
  });
  $('enable-here').addEventListener('click', async () => {
    const origin = new URL(tab.url).origin;
    // permissions.request must run in the click handler (user gesture), so it is here, not in the worker.
    if (!(await api.permissions.request({origins: [`${origin}/*`]}))) return;
    try {
      await ask(MSG.UI_BG_ENABLE_ORIGIN, {origin});
      api.tabs.reload(tab.id);
      window.close();
    } catch (err) {
      $('state-line').textContent = err.message;
    }
  });
  $('open-options').addEventListener('click', (ev) => {
    ev.preventDefault();
    api.runtime.openOptionsPage();
  });

  localize(document);
  api.tabs.query({active: true, currentWindow: true}).then(([active]) => {
    tab = active || null;
    return counts();
  }).finally(refresh);
})();
