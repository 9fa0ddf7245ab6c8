// Rendering one verdict: badge, bilingual translation with toggle, blur/collapse/hide with reveal,
// feedback buttons, the site's light/dark look, accessible names.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {loadPage, getMessage} from './harness.mjs';

function setup(fixture = 'x.html', url = 'https://x.com/home', key = 'neutral') {
  const env = loadPage(fixture, url);
  const adapter = env.FL.pickAdapter(new URL(url).hostname, env.document);
  const feedback = [];
  const renderer = new env.FL.Renderer({doc: env.document, t: getMessage, onFeedback: (post, kind) => feedback.push([post.id, kind])});
  const keyed = env.document.querySelector(`[data-fixture-key="${key}"]`);
  const el = keyed.matches(adapter.selectors.post) ? keyed : keyed.querySelector(adapter.selectors.post);
  const post = adapter.extract(el);
  return {env, adapter, renderer, el, post, feedback};
}

const click = (env, node) => node.dispatchEvent(new env.window.MouseEvent('click', {bubbles: true, cancelable: true}));

test('blur marks the body parts and "Show" reveals them', () => {
  const {env, adapter, renderer, el, post} = setup('x.html', 'https://x.com/home', 'toxic');
  renderer.apply(el, post, {id: post.id, lang: 'en', action: 'blur', reasons: [{kind: 'dial', text: 'toxicity 0.93'}]}, adapter);
  assert.equal(el.getAttribute('data-feedlens-action'), 'blur');
  assert.equal(el.querySelector('[data-testid="tweetText"]').getAttribute('data-feedlens-part'), 'blur');
  assert.equal(el.querySelector('[data-testid="tweetText"]').getAttribute('aria-hidden'), 'true', 'hidden from screen readers while blurred');
  const bar = el.querySelector('.feedlens-bar-blur');
  assert.match(bar.textContent, /Blurred: toxicity 0.93/);
  click(env, bar.querySelector('button'));
  assert.equal(el.getAttribute('data-feedlens-revealed'), 'true');
  assert.equal(el.getAttribute('data-feedlens-action'), 'blur', 'the action stays for tests and counts');
  assert.equal(bar.hidden, true);
  assert.equal(el.querySelector('[data-testid="tweetText"]').getAttribute('data-feedlens-part'), 'revealed');
  assert.equal(el.querySelector('[data-testid="tweetText"]').hasAttribute('aria-hidden'), false);
});

for (const [fixture, url, parentSel, childSel] of [
  ['reddit.html', 'https://www.reddit.com/', '[data-fixture-key="comment-toxic"]', '[data-fixture-key="comment-reply"]'],
  ['reddit-old.html', 'https://old.reddit.com/', '[data-fullname="t1_abc0001"]', '[data-fullname="t1_abc0002"]'],
]) {
  test(`${fixture}: collapsing a comment leaves its replies' text alone`, () => {
    const env = loadPage(fixture, url);
    const adapter = env.FL.pickAdapter(new URL(url).hostname, env.document);
    const renderer = new env.FL.Renderer({doc: env.document, t: getMessage});
    const parent = env.document.querySelector(parentSel);
    const child = env.document.querySelector(childSel);
    renderer.apply(child, adapter.extract(child), {action: 'show', reasons: []}, adapter);
    renderer.apply(parent, adapter.extract(parent), {action: 'collapse', reasons: [{text: 'offensive'}]}, adapter);
    const childParts = [...child.querySelectorAll('[data-feedlens-part]')];
    assert.ok(childParts.length > 0);
    assert.ok(childParts.every((p) => p.getAttribute('data-feedlens-part') === 'none'));
    const parentParts = [...parent.querySelectorAll('[data-feedlens-part="collapse"]')];
    assert.ok(parentParts.length > 0 && parentParts.every((p) => !child.contains(p)));
    renderer.clear(parent);
    assert.equal(child.querySelectorAll('[data-feedlens-part]').length, childParts.length, 'clearing the parent keeps the reply\'s marks');
  });
}

test('collapse shows a one-line reason with "Show anyway"', () => {
  const {env, adapter, renderer, el, post} = setup('mastodon.html', 'https://mastodon.social/home', 'neutral');
  renderer.apply(el, post, {id: post.id, lang: 'en', action: 'collapse', reasons: [{kind: 'topic', text: 'topic "libraries"'}]}, adapter);
  const bar = el.querySelector('.feedlens-bar-collapse');
  assert.equal(bar.querySelector('.feedlens-reason').textContent, 'Collapsed: topic "libraries"');
  assert.equal(bar.querySelector('button').textContent, 'Show anyway');
  click(env, bar.querySelector('button'));
  assert.equal(el.getAttribute('data-feedlens-revealed'), 'true');
});

test('hide leaves a thin placeholder before the post that opens it', () => {
  const {env, adapter, renderer, el, post} = setup('bluesky.html', 'https://bsky.app/', 'muted');
  renderer.apply(el, post, {id: post.id, lang: 'en', action: 'hide', reasons: [{kind: 'mute', text: 'muted word "crypto"'}]}, adapter);
  const ph = el.previousElementSibling;
  assert.ok(ph.classList.contains('feedlens-placeholder'));
  assert.equal(ph.getAttribute('data-feedlens-for'), post.id);
  assert.match(ph.textContent, /Hidden by Feedlens: muted word "crypto"/);
  click(env, ph.querySelector('button'));
  assert.equal(el.getAttribute('data-feedlens-revealed'), 'true');
  assert.equal(ph.hidden, true);
});

test('translation sits under the original, keeps it, and toggles with aria-expanded', () => {
  const {env, adapter, renderer, el, post} = setup('reddit.html', 'https://www.reddit.com/', 'portuguese');
  const original = el.querySelector('[slot="text-body"]').textContent;
  renderer.apply(el, post, {id: post.id, lang: 'pt', action: 'show', reasons: [],
    translation: {text: 'Good morning everyone!', from: 'pt', to: 'en'}}, adapter);
  const ui = el.querySelector('.feedlens-ui');
  assert.equal(ui.getAttribute('slot'), 'text-body', 'new Reddit renders light DOM only through slots');
  assert.equal(el.querySelector('[slot="text-body"]').textContent, original, 'original kept');
  const box = ui.querySelector('.feedlens-translation');
  assert.equal(box.getAttribute('lang'), 'en');
  assert.match(box.textContent, /Translated pt → en on this device/);
  const toggle = ui.querySelector('.feedlens-tr-toggle');
  assert.equal(toggle.getAttribute('aria-controls'), box.id);
  click(env, toggle);
  assert.equal(box.hidden, true);
  assert.equal(toggle.getAttribute('aria-expanded'), 'false');
  assert.equal(toggle.textContent, 'Show translation');
  click(env, toggle);
  assert.equal(box.hidden, false);
});

test('sentiment badge has an accessible name; unknown actions render as show', () => {
  const {adapter, renderer, el, post} = setup('youtube.html', 'https://www.youtube.com/watch?v=x', 'positive');
  renderer.apply(el, post, {id: post.id, lang: 'en', action: 'badge', sentiment: {label: 'positive', score: 0.97}, reasons: []}, adapter);
  assert.equal(el.getAttribute('data-feedlens-action'), 'show');
  const badge = el.querySelector('.feedlens-badge');
  assert.equal(badge.getAttribute('role'), 'img');
  assert.equal(badge.getAttribute('aria-label'), 'Sentiment: positive 97%');
  renderer.apply(el, post, {id: post.id, action: 'explode'}, adapter);
  assert.equal(el.getAttribute('data-feedlens-action'), 'show');
  assert.equal(el.getAttribute('data-feedlens-lang'), 'und');
  assert.equal(el.querySelectorAll('.feedlens-ui').length, 1);
});

test('feedback buttons report the post and kind; hide author hides at once', () => {
  const {env, adapter, renderer, el, post, feedback} = setup('weibo.html', 'https://weibo.com/', 'neutral');
  renderer.apply(el, post, {id: post.id, lang: 'en', action: 'show', reasons: []}, adapter);
  const buttons = [...el.querySelectorAll('.feedlens-fb')];
  assert.deepEqual(buttons.map((b) => b.textContent), ['More like this', 'Less like this', 'Wrong label', 'Hide author']);
  click(env, buttons[1]);
  assert.equal(buttons[1].getAttribute('aria-pressed'), 'true');
  click(env, buttons[3]);
  assert.deepEqual(feedback, [[post.id, 'less'], [post.id, 'hide_author']]);
  assert.equal(el.getAttribute('data-feedlens-action'), 'hide');
  assert.ok(el.previousElementSibling.classList.contains('feedlens-placeholder'));
});

test('the UI follows the site theme: dark on dark X and YouTube, light on light pages', () => {
  for (const [fixture, url, theme] of [['x-dark.html', 'https://x.com/home', 'dark'], ['x.html', 'https://x.com/home', 'light'],
    ['youtube.html', 'https://www.youtube.com/watch?v=x', 'dark'], ['youtube-light.html', 'https://www.youtube.com/watch?v=x', 'light'],
    ['mastodon.html', 'https://mastodon.social/home', 'dark'], ['weibo.html', 'https://weibo.com/', 'light']]) {
    const {adapter, renderer, el, post} = setup(fixture, url, 'neutral');
    renderer.apply(el, post, {id: post.id, action: 'show', reasons: []}, adapter);
    assert.equal(el.querySelector('.feedlens-ui').getAttribute('data-feedlens-theme'), theme, fixture);
  }
});

test('clear() removes everything Feedlens added', () => {
  const {env, adapter, renderer, el, post} = setup('reddit-old.html', 'https://old.reddit.com/', 'muted');
  const before = el.outerHTML;
  renderer.apply(el, post, {id: post.id, lang: 'en', action: 'hide', sentiment: {label: 'neutral', score: 0.5}, reasons: []}, adapter);
  renderer.clear(el);
  assert.equal(el.outerHTML, before);
  assert.equal(env.document.querySelectorAll('.feedlens-placeholder, .feedlens-ui').length, 0);
});
