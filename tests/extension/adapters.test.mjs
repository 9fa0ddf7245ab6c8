// Each site adapter against its fixture page: finds the posts, reads id/text/author/url/lang.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {loadPage, loadHtml} from './harness.mjs';

const SITES = [
  // fixture, url, adapter id, posts in the static page
  ['x.html', 'https://x.com/home', 'x', 5],
  ['x-dark.html', 'https://twitter.com/home', 'x', 5],
  ['reddit.html', 'https://www.reddit.com/', 'reddit', 7], // 5 posts + 2 comments
  ['reddit-old.html', 'https://old.reddit.com/r/testing/', 'reddit', 7],
  ['mastodon.html', 'https://mastodon.social/home', 'mastodon', 5],
  ['bluesky.html', 'https://bsky.app/', 'bluesky', 5],
  ['youtube.html', 'https://www.youtube.com/watch?v=dQw4w9WgXcQ', 'youtube', 5],
  ['weibo.html', 'https://weibo.com/', 'weibo', 6],
];

for (const [fixture, url, id, count] of SITES) {
  test(`${fixture}: ${id} adapter extracts every post with id, text, author, url and language`, () => {
    const env = loadPage(fixture, url);
    const adapter = env.FL.pickAdapter(new URL(url).hostname, env.document);
    assert.equal(adapter.id, id);
    const els = [...env.document.querySelectorAll(adapter.selectors.post)]
      .filter((el) => !el.closest('[contenteditable]'));
    assert.equal(els.length, count);
    const posts = els.map((el) => adapter.extract(el));
    for (const p of posts) {
      assert.ok(p, 'extract returned a post');
      assert.match(p.id, new RegExp(`^${id}:`));
      assert.ok(p.text.length > 10, `text read for ${p.id}`);
      assert.ok(p.author && p.author.length > 1, `author read for ${p.id}`);
      assert.match(p.url, /^https:\/\//);
      assert.doesNotMatch(p.text, /Reply|Like this comment|转发/, 'only the post text, not the action bar');
    }
    assert.equal(new Set(posts.map((p) => p.id)).size, posts.length, 'ids are unique');
    const pt = posts.find((p) => p.text.startsWith('Bom dia'));
    assert.ok(pt, 'the Portuguese post is there');
    // YouTube marks no comment language in its markup; the companion's language ID decides there.
    assert.equal(pt.lang_hint, id === 'youtube' ? undefined : 'pt');
    assert.ok(posts.some((p) => p.text.includes('crypto giveaway')));
  });
}

test('x adapter reads the handle, the status id from the timestamp link and the tweetText lang', () => {
  const env = loadPage('x.html', 'https://x.com/home');
  const adapter = env.FL.pickAdapter('x.com', env.document);
  const el = env.document.querySelector('[data-fixture-key="portuguese"]');
  const p = adapter.extract(el);
  assert.equal(p.id, 'x:1790000000000000003');
  assert.equal(p.author, '@carla');
  assert.equal(p.url, 'https://x.com/carla/status/1790000000000000003');
  assert.equal(p.text, 'Bom dia a todos! Hoje o tempo está ótimo para um passeio no parque com a família.');
});

test('new reddit comment text excludes its nested replies', () => {
  const env = loadPage('reddit.html', 'https://www.reddit.com/');
  const adapter = env.FL.pickAdapter('www.reddit.com', env.document);
  const parent = adapter.extract(env.document.querySelector('[data-fixture-key="comment-toxic"]'));
  assert.equal(parent.kind, 'comment');
  assert.equal(parent.author, 'u/grump');
  assert.doesNotMatch(parent.text, /be civil/);
  const post = adapter.extract(env.document.querySelector('shreddit-post'));
  assert.equal(post.id, 'reddit:t3_1h0000x');
  assert.equal(post.kind, 'post');
});

test('old reddit comment text excludes its child comments', () => {
  const env = loadPage('reddit-old.html', 'https://old.reddit.com/r/testing/');
  const adapter = env.FL.pickAdapter('old.reddit.com', env.document);
  const parent = adapter.extract(env.document.querySelector('[data-fullname="t1_abc0001"]'));
  assert.equal(parent.text, 'Only a complete moron would write something this stupid, you idiot.');
  assert.equal(parent.kind, 'comment');
  const link = adapter.extract(env.document.querySelector('[data-fullname="t3_1g0003y"]'));
  assert.match(link.text, /^Bom dia a todos\nBom dia a todos!/);
  assert.equal(link.url, 'https://old.reddit.com/r/testing/comments/1g0003y/post_3/');
});

test('mastodon is recognised by its markup on any host, and nothing is picked for other pages', () => {
  const env = loadPage('mastodon.html', 'https://social.example.org/home');
  const adapter = env.FL.pickAdapter('social.example.org', env.document);
  assert.equal(adapter.id, 'mastodon');
  const plain = loadHtml('<html><body><div class="post">hello</div></body></html>', 'https://blog.example.org/');
  assert.equal(plain.FL.pickAdapter('blog.example.org', plain.document), null);
});

test('youtube reads the thread top comment and the lc permalink id', () => {
  const env = loadPage('youtube.html', 'https://www.youtube.com/watch?v=dQw4w9WgXcQ');
  const adapter = env.FL.pickAdapter('www.youtube.com', env.document);
  const p = adapter.extract(env.document.querySelector('ytd-comment-thread-renderer'));
  assert.equal(p.id, 'youtube:UgxFixture000AaBbCc4AaABAg');
  assert.equal(p.author, '@alice');
  assert.equal(p.kind, 'comment');
});

test('weibo reads the mid from the time link and defaults the language hint to zh', () => {
  const env = loadPage('weibo.html', 'https://weibo.com/');
  const adapter = env.FL.pickAdapter('weibo.com', env.document);
  const els = [...env.document.querySelectorAll(adapter.selectors.post)];
  const zh = adapter.extract(els.find((e) => e.dataset.fixtureKey === 'chinese'));
  assert.equal(zh.id, 'weibo:Nfx05AbCdE');
  assert.equal(zh.lang_hint, 'zh');
  assert.equal(zh.author, '@李雷');
});

test('adapters are frozen data with the shared shape', () => {
  const env = loadPage('x.html', 'https://x.com/home');
  const ids = [...env.FL.adapters.map((a) => a.id)];
  assert.deepEqual(ids, ['x', 'reddit', 'mastodon', 'bluesky', 'youtube', 'weibo']);
  for (const a of env.FL.adapters) {
    assert.ok(Object.isFrozen(a) && Object.isFrozen(a.selectors));
    assert.equal(typeof a.extract, 'function');
    assert.equal(typeof a.mount, 'function');
    for (const sel of Object.values(a.selectors)) env.document.querySelectorAll(sel.replace(/:scope\s*>?\s*/g, '')); // valid CSS
  }
});
