/*
 * Content-script entry: pick the adapter for this page, read the person's switches from extension
 * storage, run the engine while the site is on and Feedlens is not paused.
 *
 * Talks only to the service worker (chrome.runtime.sendMessage); never fetches the companion, and
 * never listens to window "message" events, so a page cannot drive it.
 */
(function (root) {
  const FL = root.Feedlens;
  const MSG = root.FeedlensMsg;
  const api = root.chrome;
  if (!FL || !MSG || !api || !api.runtime || !api.runtime.id || FL.started) return;
  FL.started = true;

  const adapter = FL.pickAdapter(root.location.hostname, root.document);
  if (!adapter) return; // not a site we know (e.g. an instance that is not Mastodon): do nothing

  function ask(type, data) {
    return api.runtime.sendMessage(MSG.envelope(type, data)).then((reply) => {
      if (!reply) throw Object.assign(new Error('no reply from the Feedlens service worker'), {code: 'no_reply'});
      if (reply.error) throw Object.assign(new Error(reply.error.message || reply.error.code), {code: reply.error.code});
      return reply.data;
    });
  }

  const renderer = new FL.Renderer({
    doc: root.document,
    onFeedback(post, kind, verdict) {
      const event = {site: adapter.id, post_id: post.id, kind};
      if (post.author) event.author = post.author;
      if (verdict && verdict.lang) event.lang = verdict.lang;
      if (kind === 'wrong_label' && verdict && verdict.sentiment) event.label = verdict.sentiment.label;
      // more/less train the person's own interest model on the companion (kept encrypted, on this machine).
      if (kind === 'more' || kind === 'less') event.text = post.text;
      ask(MSG.CS_BG_FEEDBACK, event).catch((err) => root.console.info('[feedlens] feedback not saved:', err.message));
    },
  });

  let engine = null;
  function makeEngine() {
    return new FL.Engine({
      adapter,
      doc: root.document,
      renderer,
      send: (posts) => ask(MSG.CS_BG_ANALYZE, {site: adapter.id, posts}).then((d) => d.verdicts || []),
    });
  }

  function apply(settings) {
    const sites = {...MSG.DEFAULT_SETTINGS.sites, ...(settings.sites || {})};
    const on = !settings.paused && sites[adapter.id] !== false;
    if (on && !engine) {
      engine = makeEngine();
      engine.start();
    } else if (!on && engine) {
      engine.stop();
      for (const el of root.document.querySelectorAll('[data-feedlens-id]')) renderer.clear(el);
      engine = null;
    }
  }

  let current = {};
  api.storage.local.get(['paused', 'sites']).then((s) => { current = s; apply(current); });
  api.storage.onChanged.addListener((changes, area) => {
    if (area !== 'local' || !(changes.paused || changes.sites)) return;
    for (const [k, v] of Object.entries(changes)) current[k] = v.newValue;
    apply(current);
  });

  api.runtime.onMessage.addListener((msg, sender, reply) => {
    if (sender.id !== api.runtime.id || !msg || msg.type !== MSG.UI_CS_GET_COUNTS) return false;
    reply({data: {site: adapter.id, active: Boolean(engine), counts: engine ? engine.counts() : null}});
    return false;
  });
})(globalThis);
