/* Bluesky: [data-testid^="feedItem-"] (feedItem-by-<handle>), text [data-testid="postText"]. */
(function (root) {
  const FL = root.Feedlens;
  const {textOf, attr, first, absolute, langOf, insertAfter} = FL.dom;

  FL.registerAdapter({
    id: 'bluesky',
    matches: ['bsky.app'],
    selectors: {
      post: '[data-testid^="feedItem-"]',
      text: '[data-testid="postText"]',
      permalink: 'a[href*="/post/"]',
      body: '[data-testid="postText"], [data-testid^="contentHider"], [data-expoimage]',
      compose: '[data-testid="composerTextInput"], [contenteditable], [role="textbox"]',
    },
    extract(el) {
      const text = first(el, this.selectors.text);
      if (!text) return null;
      const href = attr(first(el, this.selectors.permalink), 'href');
      const match = href.match(/\/profile\/([^/]+)\/post\/([^/?#]+)/);
      const testid = attr(el, 'data-testid');
      const handle = testid.startsWith('feedItem-by-') ? testid.slice('feedItem-by-'.length) : (match ? match[1] : '');
      if (!match) return null;
      return {
        id: `bluesky:${match[1]}/${match[2]}`,
        text: textOf(text),
        author: handle ? `@${handle}` : undefined,
        url: absolute(href),
        lang_hint: langOf(text) || undefined,
        kind: 'post',
      };
    },
    mount(el, ui) {
      insertAfter(first(el, this.selectors.text), ui, el);
    },
  });
})(globalThis);
