/*
 * Helpers for the popup and options pages: messaging the worker and filling data-i18n texts.
 *   await FeedlensUI.ask(FeedlensMsg.UI_BG_GET_STATE)  // -> data, or throws Error with .code
 */
(function (root) {
  const api = root.browser || root.chrome;
  const MSG = root.FeedlensMsg;

  async function ask(type, data) {
    const reply = await api.runtime.sendMessage(MSG.envelope(type, data));
    if (!reply) throw Object.assign(new Error('The Feedlens service worker did not answer'), {code: 'no_reply'});
    if (reply.error) throw Object.assign(new Error(reply.error.message), {code: reply.error.code});
    return reply.data;
  }

  function t(key, subs) {
    return api.i18n.getMessage(key, subs) || key;
  }

  function localize(doc) {
    for (const el of doc.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of doc.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
    doc.documentElement.lang = api.i18n.getUILanguage();
  }

  root.FeedlensUI = Object.freeze({api, ask, t, localize});
})(globalThis);
