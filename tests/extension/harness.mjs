// Test harness: load a fixture page into jsdom at a site's URL and run the real content scripts in it.
//   const {window, FL} = loadPage('x.html', 'https://x.com/home');
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {JSDOM, VirtualConsole} from 'jsdom';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EXT = join(ROOT, 'extension');
export const FIXTURES = join(ROOT, 'tests', 'extension', 'fixtures');
export const MANIFEST = JSON.parse(readFileSync(join(EXT, 'manifest.json'), 'utf8'));
const EN = JSON.parse(readFileSync(join(EXT, '_locales', 'en', 'messages.json'), 'utf8'));

/** chrome.i18n.getMessage over the real English catalogue (placeholders $ARGn$ -> subs). */
export function getMessage(key, subs) {
  const entry = EN[key];
  if (!entry) return '';
  const args = [].concat(subs === undefined ? [] : subs);
  return entry.message.replace(/\$ARG(\d)\$/g, (_, n) => String(args[Number(n) - 1] ?? ''));
}

/** The content scripts the manifest injects, minus main.js (which needs chrome.runtime). */
export const CONTENT_FILES = MANIFEST.content_scripts[0].js.filter((f) => !f.endsWith('main.js'));

export function loadHtml(html, url, {files = CONTENT_FILES} = {}) {
  const logs = [];
  const virtualConsole = new VirtualConsole();
  virtualConsole.on('info', (...a) => logs.push(a.join(' ')));
  virtualConsole.on('log', (...a) => logs.push(a.join(' ')));
  virtualConsole.on('warn', (...a) => logs.push(a.join(' ')));
  virtualConsole.on('jsdomError', (e) => logs.push(`jsdomError ${e.message}`));
  const dom = new JSDOM(html, {url, runScripts: 'outside-only', pretendToBeVisual: true, virtualConsole});
  const {window} = dom;
  window.chrome = {i18n: {getMessage}};
  for (const f of files) window.eval(readFileSync(join(EXT, f), 'utf8'));
  return {dom, window, document: window.document, FL: window.Feedlens, MSG: window.FeedlensMsg, logs};
}

export function loadPage(fixture, url, opts) {
  return loadHtml(readFileSync(join(FIXTURES, fixture), 'utf8'), url, opts);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Let the engine's batch timer fire and its frame run. */
export async function settle(ms = 180) {
  await sleep(ms);
  await sleep(40);
}

/** A fake companion: verdicts from a function of the post, records every batch. */
export function fakeSend(verdictFor = (p) => ({id: p.id, lang: p.lang_hint || 'en', action: 'show', reasons: []})) {
  const batches = [];
  const send = async (posts) => {
    batches.push(posts);
    return posts.map(verdictFor);
  };
  return {send, batches};
}

export function startEngine(env, send, extra = {}) {
  const {FL, document} = env;
  const adapter = FL.pickAdapter(env.window.location.hostname, document);
  const renderer = new FL.Renderer({doc: document, t: getMessage, onFeedback: extra.onFeedback || (() => {})});
  const engine = new FL.Engine({adapter, doc: document, send, renderer, log: {info: (...a) => env.logs.push(a.join(' '))}, ...extra});
  engine.start();
  return {engine, adapter, renderer};
}
