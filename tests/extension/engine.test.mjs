// The shared engine on fixture pages: batching, visible-first, one request in flight per post,
// re-rendered and edited posts, compose boxes, one DOM write per frame, fail soft.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {loadPage, fakeSend, startEngine, settle, sleep} from './harness.mjs';

const VERDICTS = {
  toxic: {action: 'blur', reasons: [{kind: 'dial', category: 'toxicity', text: 'toxicity 0.93 over your medium dial'}],
    sentiment: {label: 'negative', score: 0.91}, scores: {toxicity: 0.93}},
  muted: {action: 'hide', reasons: [{kind: 'mute', text: 'muted word "crypto"'}]},
  portuguese: {action: 'show', lang: 'pt', translation: {text: 'Good morning everyone! Today the weather is great for a walk in the park with the family.', from: 'pt', to: 'en'}},
  positive: {action: 'badge', sentiment: {label: 'positive', score: 0.97}},
};

function siteVerdicts() {
  return (p) => {
    let key = null;
    for (const [k, v] of Object.entries({toxic: 'worthless idiot', muted: 'crypto', portuguese: 'Bom dia', positive: 'wonderful'})) {
      if (p.text.includes(v)) key = k;
    }
    return {id: p.id, lang: p.lang_hint || 'en', lang_confidence: 0.9, action: 'show', reasons: [], ...(key ? VERDICTS[key] : {})};
  };
}

test('all posts on the page go in one batch after ~100 ms and every root gets the attribute contract', async () => {
  const env = loadPage('x.html', 'https://x.com/home');
  const {send, batches} = fakeSend(siteVerdicts());
  const {engine} = startEngine(env, send);
  assert.equal(batches.length, 0, 'nothing sent synchronously');
  await settle();
  assert.equal(batches.length, 1);
  assert.equal(batches[0].length, 5, 'the tweet quoted in the compose box is not sent');
  const roots = [...env.document.querySelectorAll('article[data-testid="tweet"][data-feedlens-id]')];
  assert.equal(roots.length, 5);
  for (const el of roots) {
    assert.match(el.getAttribute('data-feedlens-action'), /^(show|blur|collapse|hide)$/);
    assert.ok(el.getAttribute('data-feedlens-lang'));
  }
  const by = (k) => env.document.querySelector(`[data-fixture-key="${k}"]`);
  assert.equal(by('toxic').getAttribute('data-feedlens-action'), 'blur');
  assert.equal(by('toxic').getAttribute('data-feedlens-sentiment'), 'negative');
  assert.equal(by('muted').getAttribute('data-feedlens-action'), 'hide');
  assert.equal(by('positive').getAttribute('data-feedlens-action'), 'show', 'badge renders as show + badge');
  assert.equal(by('positive').getAttribute('data-feedlens-sentiment'), 'positive');
  assert.ok(by('positive').querySelector('.feedlens-badge[data-label="positive"]'));
  assert.equal(by('portuguese').getAttribute('data-feedlens-lang'), 'pt');
  assert.match(by('portuguese').querySelector('.feedlens-translation').textContent, /Good morning everyone/);
  assert.equal(by('neutral').hasAttribute('data-feedlens-sentiment'), false, 'no sentiment attribute when untagged');
  const quoted = env.document.querySelector('[data-fixture-key="compose-quote"]');
  assert.equal(quoted.hasAttribute('data-feedlens-id'), false, 'compose box untouched');
  assert.equal(env.document.querySelector('[data-testid="tweetTextarea_0"]').textContent, 'What is happening?!');
  assert.deepEqual({...engine.counts(), requested: 0}, {found: 5, requested: 0, show: 3, blur: 1, collapse: 0, hide: 1, translated: 1, errors: 0});
  engine.stop();
});

test('visible posts are sent first', async () => {
  const env = loadPage('mastodon.html', 'https://mastodon.social/home');
  const {send, batches} = fakeSend();
  const posts = [...env.document.querySelectorAll('.status[data-id]')];
  // Only the last two are in the viewport (innerHeight 768 in jsdom).
  posts.forEach((el, i) => {
    const top = i >= 3 ? 100 * (i - 3) : 2000 + 100 * i;
    el.getBoundingClientRect = () => ({top, bottom: top + 90, left: 0, right: 600, width: 600, height: 90});
  });
  startEngine(env, send).engine;
  await settle();
  const order = [...batches[0]].map((p) => p.id);
  assert.deepEqual(order.slice(0, 2), posts.slice(3).map((el) => `mastodon:${el.getAttribute('data-id')}`));
});

test('posts inserted later (infinite scroll) are sent in a later batch', async () => {
  const env = loadPage('bluesky.html', 'https://bsky.app/');
  const {send, batches} = fakeSend();
  startEngine(env, send);
  await settle();
  const feed = env.document.querySelector('[data-fixture-feed]');
  feed.appendChild(env.document.getElementById('more-posts').content.cloneNode(true));
  await settle();
  assert.equal(batches.length, 2);
  assert.equal(batches[1].length, 2);
  assert.equal(env.document.querySelectorAll('[data-feedlens-id]').length, 7);
});

test('a re-rendered post (same id, new element) gets its verdict again without a new request', async () => {
  const env = loadPage('x.html', 'https://x.com/home');
  const {send, batches} = fakeSend(siteVerdicts());
  startEngine(env, send);
  await settle();
  const old = env.document.querySelector('[data-fixture-key="toxic"]');
  const cell = old.closest('[data-testid="cellInnerDiv"]');
  // React-style re-render: the cell is replaced by a fresh copy of the original markup.
  const fresh = env.document.createElement('div');
  fresh.innerHTML = cell.outerHTML;
  for (const n of fresh.querySelectorAll('.feedlens-ui, .feedlens-placeholder')) n.remove();
  const art = fresh.querySelector('article');
  for (const a of [...art.attributes]) if (a.name.startsWith('data-feedlens')) art.removeAttribute(a.name);
  cell.replaceWith(fresh.firstElementChild);
  await settle();
  assert.equal(batches.length, 1, 'no second request');
  const now = env.document.querySelector('[data-fixture-key="toxic"]');
  assert.notEqual(now, old);
  assert.equal(now.getAttribute('data-feedlens-action'), 'blur');
  assert.equal(now.querySelectorAll('.feedlens-ui').length, 1);
});

test('an edited post is analysed again, and an edit while in flight waits for the first answer', async () => {
  const env = loadPage('reddit-old.html', 'https://old.reddit.com/r/testing/');
  const batches = [];
  let release;
  const gate = new Promise((r) => { release = r; });
  const send = async (posts) => {
    batches.push(posts);
    if (batches.length === 1) await gate;
    return posts.map((p) => ({id: p.id, lang: 'en', action: p.text.includes('EDITED') ? 'collapse' : 'show', reasons: [{kind: 'topic', text: 'topic: edits'}]}));
  };
  startEngine(env, send);
  await settle();
  assert.equal(batches.length, 1);
  const md = env.document.querySelector('[data-fullname="t3_1g0000y"] .usertext-body .md p');
  md.textContent = 'EDITED: the reading room opens on Tuesday instead.';
  await settle();
  assert.equal(batches.length, 1, 'no second request while the first is in flight');
  release();
  await settle();
  await settle();
  assert.equal(batches.length, 2);
  assert.deepEqual([...batches[1]].map((p) => p.id), ['reddit:t3_1g0000y']);
  const el = env.document.querySelector('[data-fullname="t3_1g0000y"]');
  assert.equal(el.getAttribute('data-feedlens-action'), 'collapse');
  assert.equal(el.querySelectorAll('.feedlens-ui').length, 1, 'old UI replaced, not duplicated');
});

test('the same post shown twice is requested once', async () => {
  const env = loadPage('weibo.html', 'https://weibo.com/');
  const {send, batches} = fakeSend();
  const feed = env.document.querySelector('[data-fixture-feed]');
  feed.appendChild(feed.firstElementChild.cloneNode(true));
  startEngine(env, send);
  await settle();
  const ids = batches.flat().map((p) => p.id);
  assert.equal(ids.length, new Set(ids).size);
  assert.equal(env.document.querySelectorAll('[data-feedlens-id="weibo:Nfx00AbCdE"]').length, 2);
});

test('verdicts are applied in one animation frame per batch', async () => {
  const env = loadPage('youtube.html', 'https://www.youtube.com/watch?v=dQw4w9WgXcQ');
  const frames = [];
  const {send} = fakeSend();
  startEngine(env, send, {raf: (fn) => frames.push(fn)});
  await settle();
  assert.equal(frames.length, 1, 'one frame requested for five posts');
  assert.equal(env.document.querySelectorAll('[data-feedlens-id]').length, 0, 'nothing written before the frame');
  frames.shift()();
  assert.equal(env.document.querySelectorAll('[data-feedlens-id]').length, 5);
});

test('contenteditable regions are never touched', async () => {
  const env = loadPage('reddit.html', 'https://www.reddit.com/');
  const box = env.document.querySelector('shreddit-composer [contenteditable]');
  box.innerHTML = '<shreddit-comment thingid="t1_draft" author="me"><div slot="comment"><p>my draft reply about crypto</p></div></shreddit-comment>';
  const {send, batches} = fakeSend();
  startEngine(env, send);
  await settle();
  assert.ok(!batches.flat().some((p) => p.id === 'reddit:t1_draft'));
  assert.equal(box.querySelector('[data-feedlens-id]'), null);
});

test('companion down: logs once and leaves the page exactly as it was', async () => {
  const env = loadPage('bluesky.html', 'https://bsky.app/');
  const before = env.document.body.innerHTML;
  const send = async () => { throw Object.assign(new Error('The Feedlens companion is not running'), {code: 'companion_not_running'}); };
  const {engine} = startEngine(env, send);
  await settle();
  env.document.querySelector('[data-fixture-feed]').appendChild(env.document.getElementById('more-posts').content.cloneNode(true));
  await settle();
  assert.equal(env.document.querySelectorAll('[data-feedlens-id], .feedlens-ui').length, 0);
  assert.equal(env.logs.filter((l) => l.includes('companion unavailable')).length, 1);
  assert.ok(engine.counts().errors >= 2);
  assert.ok(env.document.body.innerHTML.startsWith(before.slice(0, 2000)));
});

test('changed markup: posts without the expected parts are skipped and logged once', async () => {
  const env = loadPage('x.html', 'https://x.com/home');
  for (const t of env.document.querySelectorAll('[data-testid="tweetText"]')) t.setAttribute('data-testid', 'tweetTextV2');
  const {send, batches} = fakeSend();
  startEngine(env, send);
  await settle();
  assert.equal(batches.length, 0);
  assert.equal(env.document.querySelectorAll('[data-feedlens-id]').length, 0);
  assert.equal(env.logs.filter((l) => l.includes('lacked the expected parts')).length, 1);
});

test('an adapter that throws makes the engine stop and leave the page alone', async () => {
  const env = loadPage('mastodon.html', 'https://mastodon.social/home');
  const adapter = env.FL.pickAdapter('mastodon.social', env.document);
  const broken = {...adapter, selectors: adapter.selectors, extract() { throw new Error('boom'); }};
  const renderer = new env.FL.Renderer({doc: env.document});
  const {send, batches} = fakeSend();
  const engine = new env.FL.Engine({adapter: broken, doc: env.document, send, renderer, log: {info: (...a) => env.logs.push(a.join(' '))}});
  engine.start();
  await settle();
  assert.equal(batches.length, 0);
  assert.equal(env.logs.filter((l) => l.includes('could not read a post')).length, 1);
});

test('stop() disconnects: later posts are not read', async () => {
  const env = loadPage('bluesky.html', 'https://bsky.app/');
  const {send, batches} = fakeSend();
  const {engine} = startEngine(env, send);
  await settle();
  engine.stop();
  env.document.querySelector('[data-fixture-feed]').appendChild(env.document.getElementById('more-posts').content.cloneNode(true));
  await sleep(200);
  assert.equal(batches.length, 1);
});
