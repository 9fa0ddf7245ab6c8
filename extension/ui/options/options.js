/* Options: the companion's port, unpairing, and the profile (the same one the settings page edits). */
(function () {
  const {ask, t, localize} = FeedlensUI;
  const MSG = FeedlensMsg;
  const Form = FeedlensProfileForm;
  const $ = (id) => document.getElementById(id);
  let profile = null;

  for (const d of Form.DIALS) {
    const label = document.createElement('label');
    label.htmlFor = `dial_${d}`;
    label.textContent = t(`dial_${d}`);
    const select = document.createElement('select');
    select.id = `dial_${d}`;
    for (const lvl of Form.LEVELS) select.add(new Option(t(`level_${lvl}`), lvl));
    $('dials').append(label, select);
  }

  for (const site of Form.SITES) {
    const label = document.createElement('label');
    label.htmlFor = `site_${site}`;
    label.textContent = t(`site_${site}`);
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.id = `site_${site}`;
    $('sites').append(label, box);
  }

  const FIELDS = [...Form.SITES.map((site) => `site_${site}`), 'languages', 'auto_translate', 'mute_words', 'mute_regexes', 'mute_accounts', 'allow_accounts', 'topics',
    ...Form.DIALS.map((d) => `dial_${d}`)];

  function fill(p) {
    const f = Form.toFields(p);
    for (const k of FIELDS) {
      const el = $(k);
      if (el.type === 'checkbox') el.checked = f[k];
      else el.value = f[k];
    }
  }

  function read() {
    const f = {};
    for (const k of FIELDS) f[k] = $(k).type === 'checkbox' ? $(k).checked : $(k).value;
    return f;
  }

  async function loadState() {
    const st = await ask(MSG.UI_BG_GET_STATE);
    $('port').value = st.port;
    $('companion-state').textContent = st.state === 'not_running' ? st.message
      : t(st.paired ? 'statePaired' : 'stateUnpaired');
    return st;
  }

  async function loadProfile() {
    try {
      profile = (await ask(MSG.UI_BG_GET_PROFILE)).profile;
      fill(profile);
      $('profile-fields').disabled = false;
      $('profile-state').textContent = '';
    } catch (err) {
      $('profile-state').textContent = err.code === 'not_implemented' ? t('profileNotAvailable')
        : err.code === 'not_paired' ? t('stateUnpaired') : err.message;
    }
  }

  $('save-port').addEventListener('click', async () => {
    try {
      await ask(MSG.UI_BG_SET_PORT, {port: Number($('port').value)});
      await loadState();
      await loadProfile();
    } catch (err) {
      $('companion-state').textContent = err.message;
    }
  });
  $('unpair').addEventListener('click', async () => {
    await ask(MSG.UI_BG_UNPAIR);
    await loadState();
  });
  $('profile-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const next = Form.fromFields(read(), profile || {});
      profile = (await ask(MSG.UI_BG_PUT_PROFILE, {profile: next})).profile || next;
      fill(profile);
      // The content scripts read the per-site switches from extension storage: keep them in step.
      await FeedlensUI.api.storage.local.set({sites: {...MSG.DEFAULT_SETTINGS.sites, ...profile.sites}});
      $('profile-state').textContent = t('saved');
    } catch (err) {
      $('profile-state').textContent = err.message;
    }
  });

  localize(document);
  loadState().then(loadProfile, (err) => { $('companion-state').textContent = err.message; });
})();
