/*
 * Adapter registry and the small helpers adapters share.
 *
 *   Feedlens.registerAdapter({id, matches, detect?, selectors, extract(el), mount(el, ui)})
 *   const adapter = Feedlens.pickAdapter(location.hostname, document)
 *
 * An adapter is data (host names, selectors preferring data-testid / custom elements / aria) plus
 * two small functions. extract() returns {id, text, author, url, lang_hint, kind} or null when the
 * element is not a post it can read; mount() puts Feedlens's UI node where the site's layout expects
 * it. The shared engine does everything else.
 */
(function (root) {
  const FL = root.Feedlens || (root.Feedlens = {});
  const adapters = [];

  function registerAdapter(spec) {
    for (const key of ['id', 'matches', 'selectors', 'extract', 'mount']) {
      if (!(key in spec)) throw new Error(`feedlens adapter ${spec.id || '?'} lacks ${key}`);
    }
    if (!spec.selectors.post) throw new Error(`feedlens adapter ${spec.id} lacks selectors.post`);
    const frozen = Object.freeze({...spec, selectors: Object.freeze({...spec.selectors})});
    adapters.push(frozen);
    return frozen;
  }

  function hostMatches(hostname, pattern) {
    return hostname === pattern || hostname.endsWith(`.${pattern}`);
  }

  /** The adapter for this page: by host name first, then by markup (Mastodon runs on any host). */
  function pickAdapter(hostname, doc) {
    const byHost = adapters.find((a) => a.matches.some((p) => hostMatches(hostname, p)));
    if (byHost) return byHost;
    return adapters.find((a) => typeof a.detect === 'function' && safeDetect(a, doc)) || null;
  }

  function safeDetect(adapter, doc) {
    try {
      return Boolean(adapter.detect(doc));
    } catch (err) {
      return false;
    }
  }

  const BLOCKS = new Set(['P', 'DIV', 'LI', 'BLOCKQUOTE', 'H1', 'H2', 'H3', 'H4', 'PRE', 'UL', 'OL']);

  /**
   * Text of an element, from the DOM rather than layout (innerText changes when Feedlens hides a post,
   * which would look like an edit): <br> and blocks become line breaks, emoji <img alt> keep their alt,
   * Feedlens's own nodes are skipped.
   */
  function textOf(el) {
    if (!el) return '';
    const parts = [];
    (function walk(node) {
      for (const child of node.childNodes) {
        if (child.nodeType === 3) parts.push(child.data);
        else if (child.nodeType !== 1) continue;
        else if (child.classList.contains('feedlens-ui') || child.classList.contains('feedlens-placeholder')) continue;
        else if (child.tagName === 'BR') parts.push('\n');
        else if (child.tagName === 'IMG') parts.push(child.getAttribute('alt') || '');
        else if (child.tagName === 'SCRIPT' || child.tagName === 'STYLE') continue;
        else {
          const block = BLOCKS.has(child.tagName);
          if (block) parts.push('\n');
          walk(child);
          if (block) parts.push('\n');
        }
      }
    })(el);
    return parts.join('').replace(/[ \t\f\v\u00a0]+/g, ' ').replace(/ *\n[\s]*/g, '\n').trim();
  }

  function attr(el, name) {
    return el ? el.getAttribute(name) || '' : '';
  }

  /** First match of any selector in a list, searched inside el (":scope" works in all targets). */
  function first(el, selectors) {
    for (const sel of [].concat(selectors)) {
      const hit = el.querySelector(sel);
      if (hit) return hit;
    }
    return null;
  }

  function absolute(href, base) {
    if (!href) return '';
    try {
      return new URL(href, base || root.location.href).href;
    } catch (err) {
      return '';
    }
  }

  /**
   * The post's language hint: el's own lang, a descendant's (sites put it on the text node's wrapper),
   * or an ancestor's below <html> (the page's lang is the UI language, not the post's), else "".
   */
  function langOf(el) {
    if (!el) return '';
    const inner = el.hasAttribute('lang') ? el : el.querySelector('[lang]');
    const holder = inner || el.closest('[lang]');
    if (!holder || holder === el.ownerDocument.documentElement) return '';
    return holder.getAttribute('lang').trim();
  }

  /** Insert node right after ref (inside ref's parent); fall back to appending to host. */
  function insertAfter(ref, node, host) {
    if (ref && ref.parentNode) ref.parentNode.insertBefore(node, ref.nextSibling);
    else host.appendChild(node);
  }

  /** Line node up with ref's text column (sites indent post text past the avatar with a margin). */
  function alignWith(node, ref) {
    if (!ref) return;
    const cs = ref.ownerDocument.defaultView.getComputedStyle(ref);
    const indent = (parseFloat(cs.marginLeft) || 0) + (parseFloat(cs.paddingLeft) || 0);
    if (indent > 0) node.style.marginInlineStart = `${indent}px`;
  }

  FL.adapters = adapters;
  FL.registerAdapter = registerAdapter;
  FL.pickAdapter = pickAdapter;
  FL.dom = Object.freeze({textOf, attr, first, absolute, langOf, insertAfter, alignWith});
})(globalThis);
