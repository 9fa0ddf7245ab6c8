/*
 * The one engine every adapter shares.
 *
 *   const engine = new Feedlens.Engine({adapter, doc: document, send: (posts) => Promise<verdicts>,
 *                                       renderer, log: console});
 *   engine.start();   // scan, then a MutationObserver for posts inserted, re-rendered or edited
 *   engine.stop();    // disconnect; engine.counts() says what it did on this page
 *
 * Visible posts are sent first, in batches gathered for about 100 ms; a post has at most one request
 * in flight per tab (an edit made meanwhile is sent when it returns); verdicts are applied in one
 * write per animation frame. [contenteditable] and the person's compose box are never touched. When
 * something is not as expected the engine logs once and leaves the page alone.
 */
(function (root) {
  const FL = root.Feedlens || (root.Feedlens = {});
  const BATCH_MS = 100;
  const MAX_BATCH = 50;
  const NO_POSTS_AFTER_MS = 8000;
  const OURS = '.feedlens-ui, .feedlens-placeholder';

  function hash(text) {
    // FNV-1a: cheap and stable, only to notice edits.
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i += 1) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16);
  }

  class Engine {
    constructor({adapter, doc, send, renderer, log = root.console, batchMs = BATCH_MS,
      raf = (fn) => (doc.defaultView.requestAnimationFrame || ((f) => setTimeout(f, 16)))(fn)}) {
      this.adapter = adapter;
      this.doc = doc;
      this.send = send;
      this.renderer = renderer;
      this.log = log;
      this.batchMs = batchMs;
      this.raf = raf;
      this.posts = new Map();       // post id -> {post, hash, verdict, inflight, stale, els:Set}
      this.seen = new WeakMap();    // element -> {id, hash}
      this.queue = new Set();       // post ids waiting for the next batch
      this.pendingRender = new Map(); // element -> record, flushed in one frame
      this.timer = null;
      this.frame = false;
      this.logged = new Set();
      this.failed = false;
      this.stats = {found: 0, requested: 0, show: 0, blur: 0, collapse: 0, hide: 0, translated: 0, errors: 0};
    }

    logOnce(key, ...args) {
      if (this.logged.has(key)) return;
      this.logged.add(key);
      (this.log.info || this.log.log).call(this.log, `[feedlens] ${this.adapter.id}:`, ...args);
    }

    start() {
      this.running = true;
      const win = this.doc.defaultView;
      this.observer = new win.MutationObserver((list) => this.guard(() => this.onMutations(list)));
      this.observer.observe(this.doc.documentElement, {childList: true, subtree: true, characterData: true});
      this.guard(() => this.scan(this.doc));
      this.noPostsTimer = setTimeout(() => {
        if (this.stats.found === 0) {
          this.logOnce('no-posts', `no posts matched ${this.adapter.selectors.post}; the site's markup may have changed. Leaving this page alone.`);
        }
      }, NO_POSTS_AFTER_MS);
      if (this.noPostsTimer && this.noPostsTimer.unref) this.noPostsTimer.unref(); // node tests: don't hold the process
    }

    stop() {
      this.running = false;
      if (this.observer) this.observer.disconnect();
      clearTimeout(this.timer);
      clearTimeout(this.noPostsTimer);
      this.timer = null;
      this.queue.clear();
    }

    /** Run fn; on any exception log once and stop touching the page (fail soft, never break the site). */
    guard(fn) {
      try {
        return fn();
      } catch (err) {
        this.stats.errors += 1;
        this.logOnce('exception', 'unexpected error, leaving this page alone:', err && err.message);
        this.stop();
        return undefined;
      }
    }

    counts() {
      return {...this.stats};
    }

    skip(el) {
      const sel = this.adapter.selectors;
      if (el.closest('[contenteditable]:not([contenteditable="false"])') || el.isContentEditable) return true;
      if (el.closest(OURS)) return true;
      if (sel.compose && el.closest(sel.compose)) return true;
      return false;
    }

    scan(node) {
      const sel = this.adapter.selectors.post;
      const found = [];
      if (node.nodeType === 1 && node.matches(sel)) found.push(node);
      if (node.querySelectorAll) found.push(...node.querySelectorAll(sel));
      for (const el of found) this.consider(el);
    }

    consider(el) {
      if (!this.running || this.skip(el)) return;
      let post;
      try {
        post = this.adapter.extract(el);
      } catch (err) {
        this.logOnce('extract', 'could not read a post; its markup may have changed:', err && err.message);
        return;
      }
      if (!post || !post.id || !post.text || !post.text.trim()) {
        if (!post) this.logOnce('unreadable', `a post (${this.adapter.selectors.post}) lacked the expected parts; skipped`);
        return;
      }
      const h = hash(post.text);
      const prev = this.seen.get(el);
      if (prev && prev.id === post.id && prev.hash === h) return; // already handled, unchanged
      this.seen.set(el, {id: post.id, hash: h});
      if (!prev) this.stats.found += 1;
      else { // the site reused this element for another post, or the post was edited: drop stale UI
        this.pendingRender.delete(el);
        this.renderer.clear(el);
      }

      let rec = this.posts.get(post.id);
      if (!rec) {
        rec = {post, hash: h, verdict: null, inflight: false, stale: false, els: new Set()};
        this.posts.set(post.id, rec);
      }
      for (const old of rec.els) if (!old.isConnected) rec.els.delete(old);
      rec.els.add(el);
      if (rec.hash !== h) { // edited: forget the old verdict, ask again
        rec.hash = h;
        rec.verdict = null;
        if (rec.inflight) rec.stale = true;
      }
      rec.post = post;
      if (rec.verdict) { // re-rendered element (same id, new node): reuse the verdict, no request
        this.queueRender(el, rec);
        return;
      }
      if (!rec.inflight) this.enqueue(post.id);
    }

    enqueue(id) {
      this.queue.add(id);
      if (!this.timer) this.timer = setTimeout(() => { this.timer = null; this.guard(() => this.flush()); }, this.batchMs);
    }

    visibility(rec) {
      const el = [...rec.els].find((e) => e.isConnected);
      if (!el) return {visible: false, top: Infinity};
      const r = el.getBoundingClientRect();
      const h = this.doc.defaultView.innerHeight || 0;
      return {visible: r.bottom > 0 && r.top < h, top: Math.abs(r.top)};
    }

    flush() {
      const ids = [...this.queue];
      this.queue.clear();
      const recs = ids.map((id) => this.posts.get(id)).filter((r) => r && !r.inflight && !r.verdict);
      const ranked = recs.map((rec) => ({rec, ...this.visibility(rec)}))
        .sort((a, b) => (b.visible - a.visible) || (a.top - b.top)).map((x) => x.rec);
      for (let i = 0; i < ranked.length; i += MAX_BATCH) this.request(ranked.slice(i, i + MAX_BATCH));
    }

    request(recs) {
      if (!recs.length) return;
      for (const rec of recs) rec.inflight = true;
      this.stats.requested += recs.length;
      const posts = recs.map(({post}) => {
        const out = {id: post.id, text: post.text};
        for (const key of ['author', 'url', 'lang_hint']) if (post[key]) out[key] = post[key];
        return out;
      });
      Promise.resolve().then(() => this.send(posts)).then((verdicts) => {
        const byId = new Map((verdicts || []).map((v) => [v.id, v]));
        for (const rec of recs) this.settle(rec, byId.get(rec.post.id) || null);
      }, (err) => {
        this.stats.errors += 1;
        this.logOnce(`send-${err && err.code}`, 'companion unavailable, leaving posts as they are:', (err && (err.message || err.code)) || err);
        for (const rec of recs) {
          rec.inflight = false;
          rec.stale = false;
        }
      });
    }

    settle(rec, verdict) {
      rec.inflight = false;
      if (!this.running) return;
      if (rec.stale) { // edited while in flight: this verdict is for the old text
        rec.stale = false;
        this.enqueue(rec.post.id);
        return;
      }
      if (!verdict) return;
      rec.verdict = verdict;
      for (const el of rec.els) if (el.isConnected) this.queueRender(el, rec);
    }

    queueRender(el, rec) {
      this.pendingRender.set(el, rec);
      if (this.frame) return;
      this.frame = true;
      this.raf(() => this.guard(() => this.applyFrame()));
    }

    applyFrame() {
      this.frame = false;
      const batch = [...this.pendingRender];
      this.pendingRender.clear();
      for (const [el, rec] of batch) {
        if (!el.isConnected || !rec.verdict) continue;
        this.renderer.apply(el, rec.post, rec.verdict, this.adapter);
        const action = el.getAttribute('data-feedlens-action');
        if (!rec.counted) {
          rec.counted = true;
          this.stats[action] = (this.stats[action] || 0) + 1;
          if (rec.verdict.translation && rec.verdict.translation.text) this.stats.translated += 1;
        }
      }
    }

    onMutations(list) {
      if (!this.running) return;
      const postSel = this.adapter.selectors.post;
      const touched = new Set();
      for (const m of list) {
        const target = m.target.nodeType === 1 ? m.target : m.target.parentElement;
        if (!target || target.closest(OURS)) continue;
        if (m.type === 'childList') {
          for (const node of m.addedNodes) {
            if (node.nodeType !== 1 || node.matches(OURS)) continue;
            this.scan(node);
          }
        }
        const owner = target.closest(postSel); // text edited or replaced inside a post
        if (owner) touched.add(owner);
      }
      for (const el of touched) this.consider(el);
    }
  }

  FL.Engine = Engine;
  FL.hashText = hash;
})(globalThis);
