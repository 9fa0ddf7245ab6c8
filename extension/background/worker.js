/**
 * Service worker (Chrome) / event page (Firefox): the only part of the extension that calls the
 * companion. Wires chrome.* to the router; all logic lives in router.js and companion.js.
 */
import {CompanionClient} from './companion.js';
import {makeRouter} from './router.js';

const api = globalThis.browser || globalThis.chrome;
const manifest = api.runtime.getManifest();
const content = manifest.content_scripts[0];

const client = new CompanionClient({
  fetch: (...args) => fetch(...args),
  storage: api.storage.local,
  extensionId: api.runtime.id,
  name: `${manifest.short_name || 'Feedlens'} ${manifest.version} (${navigator.userAgent.includes('Firefox') ? 'Firefox' : 'Chromium'})`,
});

const route = makeRouter({
  client,
  storage: api.storage.local,
  runtimeId: api.runtime.id,
  uiBase: api.runtime.getURL('ui/'),
  scripting: api.scripting || null,
  permissions: api.permissions || null,
  contentFiles: {js: content.js, css: content.css},
});

api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  route(message, sender).then(sendResponse);
  return true; // answer asynchronously
});

api.runtime.onInstalled.addListener(async () => {
  const s = await api.storage.local.get(['port', 'sites', 'paused']);
  const MSG = globalThis.FeedlensMsg;
  const defaults = {};
  if (s.port === undefined) defaults.port = MSG.DEFAULT_SETTINGS.port;
  if (s.sites === undefined) defaults.sites = {...MSG.DEFAULT_SETTINGS.sites};
  if (s.paused === undefined) defaults.paused = false;
  if (Object.keys(defaults).length) await api.storage.local.set(defaults);
});
