/*
 * Weibo: the current web app's feed cards (article.woo-panel-main with hashed "Feed_"/"detail_wbtext"
 * class names, matched by prefix), the classic .WB_feed_type[mid] cards and m.weibo.cn's .card.
 */
(function (root) {
  const FL = root.Feedlens;
  const {textOf, attr, first, absolute, langOf, insertAfter, alignWith} = FL.dom;

  FL.registerAdapter({
    id: 'weibo',
    matches: ['weibo.com', 'weibo.cn'],
    selectors: {
      post: 'article[class*="Feed_wrap"], .WB_feed_type[mid], .card[data-mid]',
      text: '[class*="detail_wbtext"], [node-type="feed_list_content"], .weibo-text',
      author: 'a[class*="head_name"], a[usercard].W_f14, .m-text-cut',
      permalink: 'a[class*="head-info_time"], a[node-type="feed_list_item_date"], a[href*="/status/"]',
      body: '[class*="detail_wbtext"], [node-type="feed_list_content"], .weibo-text, [class*="picture_"], .WB_media_wrap',
      compose: 'textarea, [contenteditable]',
    },
    extract(el) {
      const text = first(el, this.selectors.text.split(', '));
      if (!text) return null;
      const link = first(el, this.selectors.permalink.split(', '));
      const href = attr(link, 'href');
      const fromHref = (href.match(/\/(?:status\/)?([A-Za-z0-9]{9,})(?:[?#]|$)/) || [])[1];
      const mid = attr(el, 'mid') || attr(el, 'data-mid') || fromHref;
      if (!mid) return null;
      const author = textOf(first(el, this.selectors.author.split(', ')));
      return {
        id: `weibo:${mid}`,
        text: textOf(text),
        author: author ? (author.startsWith('@') ? author : `@${author}`) : undefined,
        url: absolute(href),
        lang_hint: langOf(text) || 'zh',
        kind: 'post',
      };
    },
    mount(el, ui) {
      const anchor = first(el, this.selectors.text.split(', '));
      insertAfter(anchor, ui, el);
      alignWith(ui, anchor);
    },
  });
})(globalThis);
