// The extension as a package: manifest references exist, content-script hosts cover the adapters,
// both locales carry the same keys, every key the code uses exists, files stay small.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {existsSync, readFileSync, readdirSync, statSync} from 'node:fs';
import {join, relative} from 'node:path';
import {EXT, MANIFEST, loadPage} from './harness.mjs';

const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));

test('manifest is MV3 with Chrome service worker and Firefox background scripts, gecko id, locale', () => {
  assert.equal(MANIFEST.manifest_version, 3);
  assert.equal(MANIFEST.background.service_worker, 'background/worker.js');
  assert.deepEqual(MANIFEST.background.scripts, ['background/worker.js']);
  assert.ok(MANIFEST.browser_specific_settings.gecko.id);
  assert.equal(MANIFEST.default_locale, 'en');
  assert.deepEqual(MANIFEST.host_permissions, ['http://127.0.0.1/*', 'http://localhost/*']);
});

test('every file the manifest and pages reference exists', () => {
  const cs = MANIFEST.content_scripts[0];
  const files = [MANIFEST.background.service_worker, ...cs.js, ...cs.css, MANIFEST.action.default_popup,
    MANIFEST.options_ui.page, ...Object.values(MANIFEST.icons)];
  for (const f of files) assert.ok(existsSync(join(EXT, f)), f);
  for (const page of [MANIFEST.action.default_popup, MANIFEST.options_ui.page]) {
    const html = readFileSync(join(EXT, page), 'utf8');
    for (const [, src] of html.matchAll(/(?:src|href)="([^"#]+\.(?:js|css))"/g)) {
      assert.ok(existsSync(join(EXT, page, '..', src)), `${page} -> ${src}`);
    }
  }
});

test('content scripts are injected on every host an adapter claims', () => {
  const env = loadPage('x.html', 'https://x.com/');
  const hosts = MANIFEST.content_scripts[0].matches.map((m) => new URL(m.replace('*', 'x')).hostname);
  for (const a of env.FL.adapters) {
    for (const h of a.matches) {
      assert.ok(hosts.some((x) => x === h || x.endsWith(`.${h}`)), `${a.id}: ${h} is in content_scripts.matches`);
    }
  }
});

test('en and zh_CN locales have the same keys, and every key used in code exists', () => {
  const en = JSON.parse(readFileSync(join(EXT, '_locales/en/messages.json'), 'utf8'));
  const zh = JSON.parse(readFileSync(join(EXT, '_locales/zh_CN/messages.json'), 'utf8'));
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  const code = walk(EXT).filter((f) => /\.(js|html)$/.test(f)).map((f) => readFileSync(f, 'utf8')).join('\n');
  const used = new Set([...code.matchAll(/\bt\('([A-Za-z]\w+)'/g), ...code.matchAll(/data-i18n(?:-label)?="(\w+)"/g),
    ...code.matchAll(/__MSG_(\w+)__/g)].map((m) => m[1]));
  for (const k of used) assert.ok(en[k], `missing message ${k}`);
  for (const prefix of ['sentiment_', 'feedback_', 'count_', 'dial_', 'level_', 'site_']) {
    assert.ok(Object.keys(en).some((k) => k.startsWith(prefix)), prefix);
  }
});

test('extension files stay small (a few hundred lines at most)', () => {
  for (const f of walk(EXT).filter((x) => x.endsWith('.js'))) {
    const lines = readFileSync(f, 'utf8').split('\n').length;
    assert.ok(lines <= 300, `${relative(EXT, f)} has ${lines} lines`);
  }
});

test('content scripts never fetch and never listen to window messages', () => {
  for (const f of walk(join(EXT, 'content'))) {
    const src = readFileSync(f, 'utf8');
    assert.doesNotMatch(src, /\bfetch\(|XMLHttpRequest|WebSocket/, `${f} must leave the companion to the worker`);
    assert.doesNotMatch(src, /addEventListener\(\s*['"]message['"]/, `${f} must not listen to page messages`);
  }
});

test('web-ext lint (Firefox) finds no errors; the only warning is the Chrome service_worker key it ignores', async () => {
  const {execFileSync} = await import('node:child_process');
  const bin = join(EXT, '..', 'node_modules', '.bin', 'web-ext');
  assert.ok(existsSync(bin), 'run npm ci first');
  let out;
  try {
    out = execFileSync(bin, ['lint', '--source-dir', EXT, '--self-hosted', '--output', 'json'], {encoding: 'utf8', timeout: 120000});
  } catch (err) {
    out = err.stdout; // web-ext exits non-zero on errors; the JSON says which
  }
  const report = JSON.parse(out);
  assert.deepEqual(report.errors.map((m) => m.code), []);
  assert.deepEqual(report.warnings.map((m) => m.code), ['BACKGROUND_SERVICE_WORKER_IGNORED']);
});
