/*
 * Renders one verdict onto one post element, and nothing else: the engine batches calls to apply()
 * into one animation frame.
 *
 *   const r = new Feedlens.Renderer({doc: document, t: Feedlens.t, onFeedback: (post, kind) => ...});
 *   r.apply(el, post, verdict, adapter);   // attributes + badge / translation / blur / collapse / hide
 *
 * Contract on every handled post root: data-feedlens-id, data-feedlens-action (show|blur|collapse|hide;
 * a "badge" verdict renders as show + badge), data-feedlens-lang, data-feedlens-sentiment when tagged.
 * Our nodes carry .feedlens-ui / .feedlens-placeholder so the engine ignores its own writes.
 */
(function (root) {
  const FL = root.Feedlens || (root.Feedlens = {});
  const VALID = new Set(['show', 'blur', 'collapse', 'hide']);
  const SENTIMENT_MARK = {positive: '+', neutral: '=', negative: '\u2212'};

  /** chrome.i18n with an English fallback (tests and unknown keys). */
  FL.t = function t(key, subs) {
    try {
      const msg = root.chrome && root.chrome.i18n && root.chrome.i18n.getMessage(key, subs);
      if (msg) return msg;
    } catch (err) { /* extension context gone (reloaded): fall through */ }
    return key;
  };

  function renderedAction(verdict) {
    const action = verdict && verdict.action;
    return VALID.has(action) ? action : 'show'; // "badge" and anything unknown: show
  }

  function reasonText(verdict, t) {
    const reasons = (verdict && verdict.reasons) || [];
    const texts = reasons.map((r) => r && (r.text || r.kind)).filter(Boolean);
    return texts.length ? texts.join('; ') : t('reasonUnknown');
  }

  /** Dark when the nearest opaque background behind the post is dark (the site's theme, not the OS's). */
  function themeOf(el) {
    const win = el.ownerDocument.defaultView;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const bg = win.getComputedStyle(node).backgroundColor || '';
      const m = bg.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/);
      if (m && (m[4] === undefined || Number(m[4]) > 0.5)) {
        const lum = (0.2126 * m[1] + 0.7152 * m[2] + 0.0722 * m[3]) / 255;
        return lum < 0.5 ? 'dark' : 'light';
      }
    }
    const mq = win.matchMedia && win.matchMedia('(prefers-color-scheme: dark)');
    return mq && mq.matches ? 'dark' : 'light';
  }

  /** Whether the browser's languages include lang: a language chip on every post would be noise. */
  function readsLanguage(doc, lang) {
    const nav = doc.defaultView.navigator;
    const langs = (nav.languages && nav.languages.length ? nav.languages : [nav.language || 'en']);
    return langs.some((l) => String(l).toLowerCase().split('-')[0] === String(lang).toLowerCase().split('-')[0]);
  }

  class Renderer {
    constructor({doc, t = FL.t, onFeedback = () => {}}) {
      this.doc = doc;
      this.t = t;
      this.onFeedback = onFeedback;
      this.state = new WeakMap(); // element -> {ui, placeholder}
      this.seq = 0;
    }

    el(tag, props = {}, children = []) {
      const node = this.doc.createElement(tag);
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') node.className = v;
        else if (k === 'text') node.textContent = v;
        else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? '' : String(v));
      }
      for (const c of children) if (c) node.appendChild(c);
      return node;
    }

    button(label, onClick, extra = {}) {
      return this.el('button', {type: 'button', class: 'feedlens-btn', text: label, onclick: (ev) => {
        ev.preventDefault();
        ev.stopPropagation(); // the sites open the post on any click inside it
        onClick(ev);
      }, ...extra});
    }

    /** Remove what we added to el (re-render after an edit, or pausing). Attributes go too. */
    clear(el) {
      const st = this.state.get(el);
      if (st) {
        if (st.ui) st.ui.remove();
        if (st.placeholder) st.placeholder.remove();
        this.state.delete(el);
      }
      for (const part of (st && st.parts) || []) {
        part.removeAttribute('data-feedlens-part');
        if (part.getAttribute('data-feedlens-aria') === 'set') {
          part.removeAttribute('aria-hidden');
          part.removeAttribute('data-feedlens-aria');
        }
      }
      for (const name of ['id', 'action', 'lang', 'sentiment', 'revealed']) el.removeAttribute(`data-feedlens-${name}`);
    }

    apply(el, post, verdict, adapter) {
      this.clear(el);
      const t = this.t;
      const action = renderedAction(verdict);
      el.setAttribute('data-feedlens-id', post.id);
      el.setAttribute('data-feedlens-action', action);
      el.setAttribute('data-feedlens-lang', (verdict && verdict.lang) || 'und');
      const sentiment = verdict && verdict.sentiment && verdict.sentiment.label;
      if (sentiment) el.setAttribute('data-feedlens-sentiment', sentiment);
      // The effect goes on this post's own body parts (not on the root: a nested reply is a post of its own).
      const parts = adapter.selectors.body ? [...el.querySelectorAll(adapter.selectors.body)]
        .filter((part) => part.closest(adapter.selectors.post) === el) : [];
      const effect = action === 'blur' || action === 'collapse' ? action : 'none';
      for (const part of parts) {
        part.setAttribute('data-feedlens-part', effect);
        // Blurred text is hidden from screen readers too, until revealed (the bar says why).
        if (effect === 'blur' && !part.hasAttribute('aria-hidden')) {
          part.setAttribute('aria-hidden', 'true');
          part.setAttribute('data-feedlens-aria', 'set');
        }
      }

      const theme = themeOf(el);
      const reason = reasonText(verdict, t);
      const reveal = () => {
        el.setAttribute('data-feedlens-revealed', 'true');
        for (const part of parts) {
          part.setAttribute('data-feedlens-part', 'revealed');
          if (part.getAttribute('data-feedlens-aria') === 'set') part.removeAttribute('aria-hidden');
        }
        const st = this.state.get(el);
        if (st && st.placeholder) st.placeholder.hidden = true;
        if (st && st.bar) st.bar.hidden = true;
      };

      const tr = verdict && verdict.translation;
      const ui = this.el('div', {class: 'feedlens-ui', 'data-feedlens-theme': theme, role: 'group',
        'aria-label': t('uiLabel'), translate: 'no'});
      const head = this.el('div', {class: 'feedlens-row'});
      if (sentiment) {
        const score = verdict.sentiment.score;
        const pct = typeof score === 'number' ? ` ${Math.round(score * 100)}%` : '';
        head.appendChild(this.el('span', {class: 'feedlens-badge', 'data-label': sentiment, role: 'img',
          'aria-label': t('sentimentLabel', [t(`sentiment_${sentiment}`) || sentiment]) + pct,
          title: t('sentimentLabel', [t(`sentiment_${sentiment}`) || sentiment]) + pct,
          text: `${SENTIMENT_MARK[sentiment] || '\u2022'} ${t(`sentiment_${sentiment}`)}`}));
      }
      if (verdict && verdict.lang && verdict.lang !== 'und' && (tr || !readsLanguage(this.doc, verdict.lang))) {
        head.appendChild(this.el('span', {class: 'feedlens-lang', title: t('languageLabel', [verdict.lang]), text: verdict.lang}));
      }
      ui.appendChild(head);

      let bar = null;
      if (action === 'blur' || action === 'collapse') {
        const label = action === 'blur' ? t('blurredBecause', [reason]) : t('collapsedBecause', [reason]);
        bar = this.el('div', {class: `feedlens-bar feedlens-bar-${action}`, role: 'note'}, [
          this.el('span', {class: 'feedlens-reason', text: label}),
          this.button(action === 'blur' ? t('show') : t('showAnyway'), reveal),
        ]);
        ui.appendChild(bar);
      }

      if (tr && tr.text) {
        const id = `feedlens-tr-${++this.seq}`;
        const box = this.el('div', {class: 'feedlens-translation', id, lang: tr.to || undefined}, [
          this.el('span', {class: 'feedlens-tr-label', text: t('translatedFrom', [tr.from || verdict.lang || '?', tr.to || '?'])}),
          this.el('div', {class: 'feedlens-tr-text', text: tr.text}),
        ]);
        const toggle = this.button(t('hideTranslation'), () => {
          const open = toggle.getAttribute('aria-expanded') === 'true';
          box.hidden = open;
          toggle.setAttribute('aria-expanded', String(!open));
          toggle.textContent = open ? t('showTranslation') : t('hideTranslation');
        }, {'aria-expanded': 'true', 'aria-controls': id, class: 'feedlens-btn feedlens-tr-toggle'});
        head.appendChild(toggle);
        ui.appendChild(box);
      }

      const fb = this.el('div', {class: 'feedlens-feedback', role: 'group', 'aria-label': t('feedbackLabel')});
      for (const kind of ['more', 'less', 'wrong_label', 'hide_author']) {
        if (kind === 'hide_author' && !post.author) continue;
        const btn = this.button(t(`feedback_${kind}`), () => {
          btn.setAttribute('aria-pressed', 'true');
          this.onFeedback(post, kind, verdict);
          if (kind === 'hide_author') {
            el.setAttribute('data-feedlens-action', 'hide');
            el.removeAttribute('data-feedlens-revealed');
            this.addPlaceholder(el, t('hiddenAuthor'), reveal, theme);
          }
        }, {'aria-pressed': 'false', class: 'feedlens-btn feedlens-fb'});
        fb.appendChild(btn);
      }
      ui.appendChild(fb);

      this.state.set(el, {ui, bar, parts, placeholder: null});
      adapter.mount(el, ui);
      if (action === 'hide') this.addPlaceholder(el, t('hiddenBecause', [reason]), reveal, theme);
    }

    /** A thin line before the (hidden) post root; opening it reveals the post. */
    addPlaceholder(el, label, reveal, theme) {
      const st = this.state.get(el) || {};
      if (st.placeholder) st.placeholder.remove();
      const ph = this.el('div', {class: 'feedlens-placeholder', 'data-feedlens-theme': theme, role: 'note',
        'data-feedlens-for': el.getAttribute('data-feedlens-id')}, [
        this.el('span', {class: 'feedlens-reason', text: label}),
        this.button(this.t('show'), reveal),
      ]);
      el.parentNode.insertBefore(ph, el);
      st.placeholder = ph;
      this.state.set(el, st);
    }
  }

  FL.Renderer = Renderer;
  FL.renderedAction = renderedAction;
})(globalThis);
