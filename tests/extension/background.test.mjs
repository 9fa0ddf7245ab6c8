// The service worker's logic without a browser: sender checks, validation, the companion client's
// retries/backoff, pairing, token handling. fetch is a fake here (the e2e test uses the real companion).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {CompanionClient, CompanionError} from '../../extension/background/companion.js';
import {makeRouter, senderKind} from '../../extension/background/router.js';

const MSG = globalThis.FeedlensMsg;
const RID = 'abcdefghijklmnopabcdefghijklmnop';
const UI = `chrome-extension://${RID}/ui/`;
const CS = {id: RID, url: 'https://x.com/home', tab: {id: 3}};
const POPUP = {id: RID, url: `${UI}popup/popup.html`};

function memoryStorage(init = {}) {
  const data = {...init};
  return {
    data,
    async get(keys) { return Object.fromEntries([].concat(keys).filter((k) => k in data).map((k) => [k, data[k]])); },
    async set(obj) { Object.assign(data, obj); },
    async remove(keys) { for (const k of [].concat(keys)) delete data[k]; },
  };
}

function fakeFetch(routes) {
  const calls = [];
  const fetch = async (url, init) => {
    const path = new URL(url).pathname;
    calls.push({url, path, init});
    const handler = routes[`${init.method} ${path}`] || routes[path];
    if (!handler) throw new TypeError('Failed to fetch');
    const [status, body] = await handler(init, calls);
    return {ok: status >= 200 && status < 300, status, json: async () => body};
  };
  return {fetch, calls};
}

function client(routes, storage = memoryStorage({token: 'tok', port: 8795})) {
  const f = fakeFetch(routes);
  return {c: new CompanionClient({fetch: f.fetch, storage, extensionId: RID, backoffMs: 1}), calls: f.calls, storage};
}

test('senders: content scripts only from tabs with web pages, UI only from our pages, others refused', () => {
  assert.equal(senderKind(CS, RID, UI), 'cs');
  assert.equal(senderKind(POPUP, RID, UI), 'ui');
  assert.equal(senderKind({...CS, id: 'other-extension'}, RID, UI), null);
  assert.equal(senderKind({id: RID, url: 'https://x.com/'}, RID, UI), null, 'no tab');
  assert.equal(senderKind({id: RID, url: `chrome-extension://${RID}/evil.html`, tab: {id: 1}}, RID, UI), null);
});

test('router refuses a content script sending UI messages and a page sending anything', async () => {
  const {c} = client({});
  const route = makeRouter({client: c, storage: memoryStorage(), runtimeId: RID, uiBase: UI});
  assert.equal((await route(MSG.envelope(MSG.UI_BG_PAIR_START), CS)).error.code, 'forbidden');
  assert.equal((await route(MSG.envelope(MSG.CS_BG_ANALYZE, {}), {id: 'x', url: 'https://evil.test/'})).error.code, 'forbidden');
  assert.equal((await route({type: 'cs-bg-unknown'}, CS)).error.code, 'forbidden');
});

test('analyze: validated, forwarded with the bearer token, verdicts returned', async () => {
  const {c, calls} = client({'POST /v1/analyze': async (init) => [200, {verdicts: JSON.parse(init.body).posts.map((p) => ({id: p.id, action: 'show'}))}]});
  const route = makeRouter({client: c, storage: memoryStorage(), runtimeId: RID, uiBase: UI});
  const bad = await route(MSG.envelope(MSG.CS_BG_ANALYZE, {site: 'myspace', posts: []}), CS);
  assert.match(bad.error.message, /site must be one of x, reddit/);
  const ok = await route(MSG.envelope(MSG.CS_BG_ANALYZE, {site: 'x', posts: [{id: 'x:1', text: 'hi'}]}), CS);
  assert.deepEqual(ok, {data: {verdicts: [{id: 'x:1', action: 'show'}]}});
  assert.equal(calls[0].url, 'http://127.0.0.1:8795/v1/analyze');
  assert.equal(calls[0].init.headers.Authorization, 'Bearer tok');
  assert.equal(calls[0].init.credentials, 'omit');
});

test('analyze is refused while paused or with the site switched off', async () => {
  const {c, calls} = client({});
  const storage = memoryStorage({paused: true});
  const route = makeRouter({client: c, storage, runtimeId: RID, uiBase: UI});
  const msg = MSG.envelope(MSG.CS_BG_ANALYZE, {site: 'x', posts: [{id: 'x:1', text: 'hi'}]});
  assert.equal((await route(msg, CS)).error.code, 'paused');
  storage.data.paused = false;
  storage.data.sites = {x: false};
  assert.equal((await route(msg, CS)).error.code, 'site_off');
  assert.equal(calls.length, 0);
});

test('companion not running: retried with backoff, then a clear error and state', async () => {
  const {c, calls} = client({});
  await assert.rejects(c.analyze({site: 'x', posts: []}), (err) => err instanceof CompanionError
    && err.code === 'companion_not_running' && /feedlens serve/.test(err.message));
  assert.equal(calls.length, 4, 'first try + 3 retries');
  assert.equal(c.state.status, 'not_running');
});

test('429 and 5xx are retried; 4xx is not; 501 says not implemented', async () => {
  let n = 0;
  const {c, calls} = client({
    'POST /v1/analyze': async () => (++n < 3 ? [503, {error: 'loading models'}] : [200, {verdicts: []}]),
    'POST /v1/feedback': async () => [400, {error: 'kind must be one of more, less', code: 'invalid_request'}],
    'GET /v1/profile': async () => [501, {error: 'profile needs the vault', code: 'not_implemented'}],
  });
  assert.deepEqual(await c.analyze({site: 'x', posts: []}), {verdicts: []});
  assert.equal(n, 3);
  await assert.rejects(c.feedback({kind: 'nope'}), (e) => e.code === 'invalid_request' && e.status === 400);
  assert.equal(calls.filter((x) => x.path === '/v1/feedback').length, 1);
  await assert.rejects(c.getProfile(), (e) => e.code === 'not_implemented');
});

test('401 forgets the token so the popup offers pairing again', async () => {
  const {c, storage} = client({'POST /v1/analyze': async () => [401, {error: 'unknown token'}]});
  await assert.rejects(c.analyze({site: 'x', posts: []}), (e) => e.code === 'not_paired');
  assert.equal(storage.data.token, undefined);
  assert.equal(c.state.status, 'unpaired');
  await assert.rejects(c.analyze({site: 'x', posts: []}), /open the Feedlens popup and pair/);
});

test('pairing: request shows a code, polling stores the token once approved', async () => {
  let reads = 0;
  const storage = memoryStorage({port: 9001});
  const {c, calls} = client({
    'POST /v1/pair/request': async (init) => [202, {id: 'p1', code: 'K7Q-4M2', expires_in: 300, echo: JSON.parse(init.body)}],
    'GET /v1/pair/p1': async () => (++reads < 2 ? [200, {status: 'pending'}] : [200, {status: 'approved', token: 'T'.repeat(43)}]),
  }, storage);
  const route = makeRouter({client: c, storage, runtimeId: RID, uiBase: UI});
  const start = await route(MSG.envelope(MSG.UI_BG_PAIR_START), POPUP);
  assert.equal(start.data.pairing.code, 'K7Q-4M2');
  assert.equal(JSON.parse(calls[0].init.body).extension_id, RID);
  assert.equal(calls[0].url, 'http://127.0.0.1:9001/v1/pair/request');
  assert.equal((await route(MSG.envelope(MSG.UI_BG_PAIR_POLL), POPUP)).data.status, 'pending');
  const done = await route(MSG.envelope(MSG.UI_BG_PAIR_POLL), POPUP);
  assert.equal(done.data.paired, true);
  assert.equal(storage.data.token, 'T'.repeat(43));
  assert.equal(storage.data.pairing, undefined);
});

test('pairing denied or expired clears the pending code', async () => {
  const storage = memoryStorage({pairing: {id: 'p2', code: 'X', expires_at: Date.now() + 1e5}});
  const {c} = client({'GET /v1/pair/p2': async () => [200, {status: 'denied'}]}, storage);
  assert.equal((await c.pollPairing()).status, 'denied');
  assert.equal(storage.data.pairing, undefined);
  storage.data.pairing = {id: 'p3', code: 'Y', expires_at: Date.now() - 1};
  assert.equal((await c.pollPairing()).status, 'expired');
});

test('set port validates its input', async () => {
  const storage = memoryStorage();
  const {c} = client({}, storage);
  const route = makeRouter({client: c, storage, runtimeId: RID, uiBase: UI});
  assert.equal((await route(MSG.envelope(MSG.UI_BG_SET_PORT, {port: 70000}), POPUP)).error.code, 'invalid_request');
  assert.deepEqual((await route(MSG.envelope(MSG.UI_BG_SET_PORT, {port: 8123}), POPUP)).data, {port: 8123});
  assert.equal(storage.data.port, 8123);
});

test('get state reports "not running" when health fails, with the message to show', async () => {
  const storage = memoryStorage();
  const {c} = client({}, storage);
  const route = makeRouter({client: c, storage, runtimeId: RID, uiBase: UI});
  const st = (await route(MSG.envelope(MSG.UI_BG_GET_STATE), POPUP)).data;
  assert.equal(st.state, 'not_running');
  assert.equal(st.paired, false);
  assert.match(st.message, /not running on 127.0.0.1:8795/);
});

test('enable origin registers the content scripts only for an https origin the person granted', async () => {
  const registered = [];
  const scripting = {
    async getRegisteredContentScripts({ids}) { return registered.filter((r) => ids.includes(r.id)); },
    async registerContentScripts(list) { registered.push(...list); },
  };
  const granted = new Set(['https://social.example.org/*']);
  const permissions = {async contains({origins}) { return origins.every((o) => granted.has(o)); }};
  const {c} = client({});
  const route = makeRouter({client: c, storage: memoryStorage(), runtimeId: RID, uiBase: UI, scripting, permissions,
    contentFiles: {js: ['content/main.js'], css: ['content/feedlens.css']}});
  const ok = await route(MSG.envelope(MSG.UI_BG_ENABLE_ORIGIN, {origin: 'https://social.example.org/home'}), POPUP);
  assert.equal(ok.data.registered, 'feedlens-https___social_example_org');
  assert.deepEqual(registered[0].matches, ['https://social.example.org/*']);
  await route(MSG.envelope(MSG.UI_BG_ENABLE_ORIGIN, {origin: 'https://social.example.org/'}), POPUP);
  assert.equal(registered.length, 1, 'registered once');
  assert.equal((await route(MSG.envelope(MSG.UI_BG_ENABLE_ORIGIN, {origin: 'https://other.example/'}), POPUP)).error.code, 'no_permission');
  assert.equal((await route(MSG.envelope(MSG.UI_BG_ENABLE_ORIGIN, {origin: 'http://plain.example/'}), POPUP)).error.code, 'invalid_request');
  assert.equal((await route(MSG.envelope(MSG.UI_BG_ENABLE_ORIGIN, {origin: 'https://social.example.org/'}), CS)).error.code, 'forbidden');
});
