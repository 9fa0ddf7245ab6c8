/*
 * Profile <-> form fields, as pure functions (tested in node):
 *   FeedlensProfileForm.toFields(profile) -> {languages: "en, zh", mute_words: "a\nb", topics: "x = collapse", ...}
 *   FeedlensProfileForm.fromFields(fields, base) -> profile  (throws Error naming the bad line)
 */
(function (root) {
  const DIALS = ['toxicity', 'offensive', 'hate', 'spam', 'negativity'];
  const LEVELS = ['off', 'low', 'medium', 'high', 'strict'];
  const ACTIONS = ['show', 'blur', 'collapse', 'hide'];
  const SITES = ['x', 'reddit', 'mastodon', 'bluesky', 'youtube', 'weibo'];
  const lines = (s) => String(s || '').split('\n').map((x) => x.trim()).filter(Boolean);

  function toFields(p) {
    const f = {languages: (p.languages || []).join(', '), auto_translate: Boolean(p.auto_translate)};
    for (const d of DIALS) f[`dial_${d}`] = (p.dials && p.dials[d]) || 'off';
    f.mute_words = ((p.mutes && p.mutes.words) || []).join('\n');
    f.mute_regexes = ((p.mutes && p.mutes.regexes) || []).join('\n');
    f.mute_accounts = ((p.mutes && p.mutes.accounts) || []).join('\n');
    f.allow_accounts = ((p.allow && p.allow.accounts) || []).join('\n');
    f.topics = (p.topics || []).map((t) => `${t.text} = ${t.action || 'collapse'}`).join('\n');
    for (const site of SITES) f[`site_${site}`] = !p.sites || p.sites[site] !== false;
    return f;
  }

  function fromFields(f, base = {}) {
    const languages = String(f.languages || '').split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);
    for (const l of languages) if (!/^[a-z]{2,3}(-[a-z0-9]+)?$/i.test(l)) throw new Error(`"${l}" is not a language code (use e.g. en, zh, pt)`);
    const dials = {};
    for (const d of DIALS) {
      const v = f[`dial_${d}`] || 'off';
      if (!LEVELS.includes(v)) throw new Error(`${d}: level must be one of ${LEVELS.join(', ')}`);
      dials[d] = v;
    }
    const regexes = lines(f.mute_regexes);
    for (const r of regexes) {
      try { new RegExp(r); } catch (err) { throw new Error(`mute pattern "${r}" is not a valid regular expression`); }
    }
    const topics = lines(f.topics).map((line) => {
      const m = line.match(/^(.*?)\s*=\s*(\w+)$/);
      const text = (m ? m[1] : line).trim();
      const action = m ? m[2].toLowerCase() : 'collapse';
      if (!ACTIONS.includes(action)) throw new Error(`topic "${text}": action must be one of ${ACTIONS.join(', ')}`);
      return {text, action};
    });
    return {...base, languages, auto_translate: Boolean(f.auto_translate), dials,
      mutes: {...(base.mutes || {}), words: lines(f.mute_words), regexes, accounts: lines(f.mute_accounts)},
      allow: {...(base.allow || {}), accounts: lines(f.allow_accounts)}, topics,
      sites: {...(base.sites || {}), ...Object.fromEntries(SITES.map((site) => [site, f[`site_${site}`] !== false]))}};
  }

  root.FeedlensProfileForm = Object.freeze({DIALS, LEVELS, ACTIONS, SITES, toFields, fromFields});
})(globalThis);
