/*
 * Mastodon, on any instance: recognised by its markup (.status / .status__content), not by host name.
 * Host names in `matches` are only the well-known instances the manifest injects into; other hosts are
 * reached through the popup's "enable on this site" (optional permission) and detect().
 */
(function (root) {
  const FL = root.Feedlens;
  const {textOf, attr, first, absolute, langOf, insertAfter, alignWith} = FL.dom;

  FL.registerAdapter({
    id: 'mastodon',
    matches: ['mastodon.social', 'mastodon.online', 'mstdn.social', 'fosstodon.org', 'hachyderm.io',
      'infosec.exchange', 'mas.to', 'mstdn.jp', 'chaos.social'],
    detect(doc) {
      return Boolean(doc.querySelector('#mastodon, body.app-body, meta[content="Mastodon"]')
        || doc.querySelector('.status[data-id] .status__content'));
    },
    selectors: {
      post: '.status[data-id]',
      text: '.status__content__text, .status__content',
      author: '.display-name__account',
      permalink: 'a.status__relative-time, a[href*="/@"][href*="/1"]',
      body: '.status__content, .media-gallery, .status-card, .video-player, .audio-player',
      compose: '.compose-form, textarea',
    },
    extract(el) {
      const content = first(el, ':scope .status__content');
      if (!content) return null;
      const textEl = first(content, '.status__content__text') || content;
      const link = first(el, ['a.status__relative-time', 'a.detailed-status__datetime']);
      const handle = textOf(first(el, this.selectors.author));
      return {
        id: `mastodon:${attr(el, 'data-id')}`,
        text: textOf(textEl),
        author: handle ? (handle.startsWith('@') ? handle : `@${handle}`) : undefined,
        url: absolute(attr(link, 'href')),
        lang_hint: attr(content, 'lang') || langOf(textEl) || undefined,
        kind: 'post',
      };
    },
    mount(el, ui) {
      const anchor = first(el, ':scope .status__content');
      insertAfter(anchor, ui, el);
      alignWith(ui, anchor);
    },
  });
})(globalThis);
