/*
 * The extension's message vocabulary, named by direction (sender-receiver-verb), and its envelope.
 *
 *   request  {type: FeedlensMsg.CS_BG_ANALYZE, id: "cs-17", data: {site, posts}}
 *   response {data: {...}}  or  {error: {code, message}}
 *
 * Classic script on purpose: content scripts load it from the manifest, the module service worker
 * imports it for its side effect, and node tests import it the same way. It only sets a global.
 */
(function (root) {
  const types = {
    CS_BG_ANALYZE: 'cs-bg-analyze',       // content -> worker: {site, posts} -> {verdicts}
    CS_BG_FEEDBACK: 'cs-bg-feedback',     // content -> worker: one feedback event -> {ok}
    UI_BG_GET_STATE: 'ui-bg-get-state',   // popup/options -> worker: {} -> {state, paired, port, pairing}
    UI_BG_PAIR_START: 'ui-bg-pair-start', // popup -> worker: {} -> {pairing: {id, code, expires_at}}
    UI_BG_PAIR_POLL: 'ui-bg-pair-poll',   // popup -> worker: {} -> {pairing, paired}
    UI_BG_UNPAIR: 'ui-bg-unpair',         // options -> worker: {} -> {paired: false}
    UI_BG_SET_PORT: 'ui-bg-set-port',     // options -> worker: {port} -> {port}
    UI_BG_GET_PROFILE: 'ui-bg-get-profile', // options -> worker: {} -> {profile} | error not_implemented
    UI_BG_PUT_PROFILE: 'ui-bg-put-profile', // options -> worker: {profile} -> {profile}
    UI_BG_ENABLE_ORIGIN: 'ui-bg-enable-origin', // popup -> worker: {origin} -> {registered}
    UI_CS_GET_COUNTS: 'ui-cs-get-counts', // popup -> content (active tab): {} -> {site, counts}
  };
  const CS_TO_BG = new Set([types.CS_BG_ANALYZE, types.CS_BG_FEEDBACK]);
  const UI_TO_BG = new Set(Object.values(types).filter((t) => t.startsWith('ui-bg-')));

  /** Settings kept in extension storage (chrome.storage.local); the token never leaves the worker's use. */
  const DEFAULT_SETTINGS = Object.freeze({
    port: 8795,
    paused: false,
    sites: Object.freeze({x: true, reddit: true, mastodon: true, bluesky: true, youtube: true, weibo: true}),
  });

  let counter = 0;
  function envelope(type, data) {
    counter += 1;
    return {type, id: `${type}-${Date.now().toString(36)}-${counter}`, data: data || {}};
  }

  root.FeedlensMsg = Object.freeze({
    ...types,
    CS_TO_BG,
    UI_TO_BG,
    DEFAULT_SETTINGS,
    SITES: Object.freeze(Object.keys(DEFAULT_SETTINGS.sites)),
    ACTIONS: Object.freeze(['show', 'blur', 'collapse', 'hide']),
    envelope,
  });
})(globalThis);
