/*
 * Reddit: new Reddit's custom elements (shreddit-post / shreddit-comment, content in named slots)
 * and old Reddit's .thing[data-fullname] rows. One adapter, branching on the element.
 */
(function (root) {
  const FL = root.Feedlens;
  const {textOf, attr, first, absolute, langOf, insertAfter} = FL.dom;

  function oldEntry(el) {
    return first(el, ':scope > .entry') || el;
  }

  FL.registerAdapter({
    id: 'reddit',
    matches: ['reddit.com'],
    selectors: {
      post: 'shreddit-post, shreddit-comment, .thing[data-fullname^="t3_"], .thing[data-fullname^="t1_"]',
      newPostText: '[slot="text-body"]',
      newPostTitle: '[slot="title"]',
      newCommentText: '[slot="comment"]',
      oldText: ':scope > .entry .usertext-body .md',
      oldTitle: ':scope > .entry a.title',
      body: ':scope > [slot="title"], :scope > [slot="text-body"], :scope > [slot="comment"], :scope > [slot="post-media-container"], :scope > .entry .usertext-body, :scope > .entry a.title',
      compose: 'shreddit-composer, faceplate-textarea-input, textarea, .usertext-edit',
    },
    extract(el) {
      const tag = el.tagName.toLowerCase();
      if (tag === 'shreddit-post') {
        const title = attr(el, 'post-title') || textOf(first(el, this.selectors.newPostTitle));
        const body = textOf(first(el, this.selectors.newPostText));
        const id = attr(el, 'id') || attr(el, 'thingid');
        if (!id || !(title || body)) return null;
        return {
          id: `reddit:${id}`,
          text: [title, body].filter(Boolean).join('\n'),
          author: attr(el, 'author') ? `u/${attr(el, 'author')}` : undefined,
          url: absolute(attr(el, 'permalink') || attr(el, 'content-href')),
          lang_hint: langOf(first(el, this.selectors.newPostText) || el) || undefined,
          kind: 'post',
        };
      }
      if (tag === 'shreddit-comment') {
        // Direct slot child only: replies are nested shreddit-comment elements with their own slot.
        const textEl = first(el, ':scope > [slot="comment"]');
        const id = attr(el, 'thingid');
        if (!id || !textEl) return null;
        return {
          id: `reddit:${id}`,
          text: textOf(textEl),
          author: attr(el, 'author') ? `u/${attr(el, 'author')}` : undefined,
          url: absolute(attr(el, 'permalink')),
          lang_hint: langOf(textEl) || undefined,
          kind: 'comment',
        };
      }
      const fullname = attr(el, 'data-fullname');
      const title = textOf(first(el, this.selectors.oldTitle));
      const body = textOf(first(el, this.selectors.oldText));
      if (!fullname || !(title || body)) return null;
      return {
        id: `reddit:${fullname}`,
        text: [title, body].filter(Boolean).join('\n'),
        author: attr(el, 'data-author') ? `u/${attr(el, 'data-author')}` : undefined,
        url: absolute(attr(el, 'data-permalink')),
        lang_hint: langOf(first(el, this.selectors.oldText) || el) || undefined,
        kind: fullname.startsWith('t1_') ? 'comment' : 'post',
      };
    },
    mount(el, ui) {
      const tag = el.tagName.toLowerCase();
      if (tag === 'shreddit-post' || tag === 'shreddit-comment') {
        // new Reddit renders light-DOM children only through named slots: reuse the content's slot.
        const slot = tag === 'shreddit-post' ? 'text-body' : 'comment';
        ui.setAttribute('slot', slot);
        const anchor = first(el, tag === 'shreddit-post'
          ? [':scope > [slot="text-body"]', ':scope > [slot="title"]'] : [':scope > [slot="comment"]']);
        insertAfter(anchor, ui, el);
        return;
      }
      const entry = oldEntry(el);
      // Under the text (self post or comment), else under the title line (link post).
      insertAfter(first(entry, [':scope > .expando', ':scope > form.usertext', ':scope > .usertext', ':scope > .top-matter']), ui, entry);
    },
  });
})(globalThis);
