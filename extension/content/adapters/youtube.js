/* YouTube comments: ytd-comment-thread-renderer, the top comment's #content-text (replies are skipped). */
(function (root) {
  const FL = root.Feedlens;
  const {textOf, attr, first, absolute, langOf, insertAfter} = FL.dom;

  function topComment(el) {
    // The thread holds the top comment in #comment and its replies under #replies.
    // YouTube repeats ids in every thread; [id=...] selectors stay scoped where #id lookups may not.
    return first(el, [':scope > [id="comment"]', 'ytd-comment-view-model[id="comment"]', 'ytd-comment-renderer[id="comment"]']) || el;
  }

  FL.registerAdapter({
    id: 'youtube',
    matches: ['youtube.com'],
    selectors: {
      post: 'ytd-comment-thread-renderer',
      text: '[id="content-text"]',
      author: '[id="author-text"]',
      permalink: '[id="published-time-text"] a, a[href*="lc="]',
      body: '[id="content-text"]',
      compose: 'ytd-commentbox, ytd-comment-simplebox-renderer, [contenteditable]',
    },
    extract(el) {
      const comment = topComment(el);
      const text = first(comment, this.selectors.text);
      if (!text) return null;
      const href = attr(first(comment, this.selectors.permalink), 'href');
      const lc = (href.match(/[?&]lc=([\w-]+)/) || [])[1];
      if (!lc) return null;
      const author = textOf(first(comment, this.selectors.author));
      return {
        id: `youtube:${lc}`,
        text: textOf(text),
        author: author || undefined,
        url: absolute(href),
        lang_hint: langOf(text) || undefined,
        kind: 'comment',
      };
    },
    mount(el, ui) {
      insertAfter(first(topComment(el), this.selectors.text), ui, el);
    },
  });
})(globalThis);
