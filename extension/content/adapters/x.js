/* X / Twitter: article[data-testid="tweet"], text [data-testid="tweetText"] with its lang attribute. */
(function (root) {
  const FL = root.Feedlens;
  const {textOf, attr, first, absolute, insertAfter} = FL.dom;

  FL.registerAdapter({
    id: 'x',
    matches: ['x.com', 'twitter.com'],
    selectors: {
      post: 'article[data-testid="tweet"]',
      text: '[data-testid="tweetText"]',
      author: '[data-testid="User-Name"] a[href^="/"]',
      permalink: 'a[href*="/status/"] time',
      body: '[data-testid="tweetText"], [data-testid="tweetPhoto"], [data-testid="card.wrapper"]',
      compose: '[data-testid^="tweetTextarea_"], [data-testid="tweetButton"], [role="textbox"]',
    },
    extract(el) {
      // A quoted tweet nests a second tweetText; the post's own is the first one not inside a quote.
      const text = first(el, '[data-testid="tweetText"]');
      if (!text) return null;
      // The timestamp link is the permalink; other /status/ links can point at quoted tweets.
      const time = first(el, this.selectors.permalink);
      const link = time ? time.closest('a') : first(el, 'a[href*="/status/"]');
      const href = attr(link, 'href');
      const match = href.match(/\/status\/(\d+)/);
      if (!match) return null;
      const authorHref = attr(first(el, this.selectors.author), 'href');
      return {
        id: `x:${match[1]}`,
        text: textOf(text),
        author: authorHref ? `@${authorHref.replace(/^\//, '').split('/')[0]}` : undefined,
        url: absolute(href),
        lang_hint: attr(text, 'lang') || undefined,
        kind: 'post',
      };
    },
    mount(el, ui) {
      insertAfter(first(el, '[data-testid="tweetText"]'), ui, el);
    },
  });
})(globalThis);
