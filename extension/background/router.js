/**
 * Message handling for the service worker, free of chrome.* globals so node tests can drive it.
 *
 *   const route = makeRouter({client, storage, runtimeId, uiBase: chrome.runtime.getURL('ui/'), scripting, permissions});
 *   const reply = await route(message, sender);   // -> {data} | {error: {code, message}}
 *
 * Sender rules: cs-bg-* only from our own content scripts (a tab with an http(s) page);
 * ui-bg-* only from our own popup/options pages. Anything else is refused and logged.
 */
import '../shared/messages.js';

const MSG = globalThis.FeedlensMsg;
const MAX_POSTS = 200;

export function senderKind(sender, runtimeId, uiBase) {
  if (!sender || sender.id !== runtimeId) return null;
  const url = sender.url || '';
  if (url.startsWith(uiBase)) return 'ui';
  if (sender.tab && /^https?:/.test(url)) return 'cs';
  return null;
}

function fail(code, message) {
  return {error: {code, message}};
}

export function checkAnalyze(data) {
  if (!data || typeof data.site !== 'string' || !MSG.SITES.includes(data.site)) {
    return `site must be one of ${MSG.SITES.join(', ')}`;
  }
  if (!Array.isArray(data.posts) || data.posts.length === 0 || data.posts.length > MAX_POSTS) {
    return `posts must be a list of 1 to ${MAX_POSTS} posts`;
  }
  for (const p of data.posts) {
    if (!p || typeof p.id !== 'string' || typeof p.text !== 'string') return 'each post needs a string id and text';
  }
  return null;
}

export function makeRouter({client, storage, runtimeId, uiBase, scripting = null, permissions = null, contentFiles = null}) {
  const handlers = {
    async [MSG.CS_BG_ANALYZE](data) {
      const problem = checkAnalyze(data);
      if (problem) return fail('invalid_request', problem);
      const s = await storage.get(['paused', 'sites']);
      if (s.paused) return fail('paused', 'Feedlens is paused');
      if (s.sites && s.sites[data.site] === false) return fail('site_off', `Feedlens is off for ${data.site}`);
      const body = await client.analyze({site: data.site, posts: data.posts});
      return {data: {verdicts: Array.isArray(body.verdicts) ? body.verdicts : []}};
    },
    async [MSG.CS_BG_FEEDBACK](data) {
      if (!data || typeof data.kind !== 'string' || typeof data.post_id !== 'string') {
        return fail('invalid_request', 'feedback needs kind and post_id');
      }
      return {data: await client.feedback(data)};
    },
    async [MSG.UI_BG_GET_STATE]() {
      await client.health();
      const {port, token, pairing} = await client.settings();
      const s = await storage.get(['paused', 'sites']);
      return {data: {state: client.state.status, message: client.state.message, paired: Boolean(token), port, pairing,
        paused: Boolean(s.paused), sites: {...MSG.DEFAULT_SETTINGS.sites, ...(s.sites || {})}}};
    },
    async [MSG.UI_BG_PAIR_START]() {
      return {data: {pairing: await client.requestPairing()}};
    },
    async [MSG.UI_BG_PAIR_POLL]() {
      const result = await client.pollPairing();
      const {token, pairing} = await client.settings();
      return {data: {...result, paired: Boolean(token), pairing}};
    },
    async [MSG.UI_BG_UNPAIR]() {
      await client.unpair();
      return {data: {paired: false}};
    },
    async [MSG.UI_BG_SET_PORT](data) {
      const port = Number(data && data.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) return fail('invalid_request', 'port must be 1-65535');
      await storage.set({port});
      return {data: {port}};
    },
    async [MSG.UI_BG_GET_PROFILE]() {
      return {data: {profile: await client.getProfile()}};
    },
    async [MSG.UI_BG_PUT_PROFILE](data) {
      if (!data || typeof data.profile !== 'object' || data.profile === null) return fail('invalid_request', 'profile must be an object');
      return {data: {profile: await client.putProfile(data.profile)}};
    },
    async [MSG.UI_BG_ENABLE_ORIGIN](data) {
      // For Mastodon instances the manifest doesn't list: the popup asked the person for the permission.
      let origin;
      try {
        origin = new URL(data && data.origin).origin;
      } catch (err) {
        return fail('invalid_request', 'origin must be a URL');
      }
      if (!origin.startsWith('https://') || !scripting || !permissions) return fail('invalid_request', 'only https sites can be enabled');
      if (!(await permissions.contains({origins: [`${origin}/*`]}))) return fail('no_permission', `no permission for ${origin}`);
      const id = `feedlens-${origin.replace(/[^a-z0-9]/gi, '_')}`;
      const existing = await scripting.getRegisteredContentScripts({ids: [id]});
      if (!existing.length) {
        await scripting.registerContentScripts([{id, matches: [`${origin}/*`], js: contentFiles.js, css: contentFiles.css,
          runAt: 'document_idle', persistAcrossSessions: true}]);
      }
      return {data: {registered: id}};
    },
  };

  return async function route(message, sender) {
    const kind = senderKind(sender, runtimeId, uiBase);
    const type = message && message.type;
    const allowed = (kind === 'cs' && MSG.CS_TO_BG.has(type)) || (kind === 'ui' && MSG.UI_TO_BG.has(type));
    if (!allowed) {
      console.warn('[feedlens] refused message', type, 'from', kind || 'unknown sender');
      return fail('forbidden', 'message refused');
    }
    try {
      return await handlers[type](message.data || {});
    } catch (err) {
      return fail(err.code || 'error', err.message || String(err));
    }
  };
}
