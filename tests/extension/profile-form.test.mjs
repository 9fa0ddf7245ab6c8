// Options page profile form: fields <-> the profile document, with errors naming the bad line.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import '../../extension/ui/options/profile-form.js';

const Form = globalThis.FeedlensProfileForm;
const PROFILE = {
  version: 7, languages: ['en', 'zh'], auto_translate: true,
  dials: {toxicity: 'medium', offensive: 'off', hate: 'strict', spam: 'medium', negativity: 'off'},
  mutes: {words: ['crypto'], regexes: ['giveaway\\s+now'], accounts: ['@spammer']},
  allow: {accounts: ['@friend']}, topics: [{text: 'US elections', action: 'collapse'}],
  sites: {x: true, reddit: false, mastodon: true, bluesky: true, youtube: true, weibo: true},
};

test('profile round-trips through the form, keeping fields the form does not show', () => {
  const back = Form.fromFields(Form.toFields(PROFILE), PROFILE);
  assert.deepEqual(back, PROFILE);
});

test('bad input names what is wrong', () => {
  const f = Form.toFields(PROFILE);
  assert.throws(() => Form.fromFields({...f, mute_regexes: 'ok\n(unclosed'}), /"\(unclosed" is not a valid regular expression/);
  assert.throws(() => Form.fromFields({...f, topics: 'cats = explode'}), /action must be one of show, blur, collapse, hide/);
  assert.throws(() => Form.fromFields({...f, languages: 'en, english!'}), /not a language code/);
  assert.throws(() => Form.fromFields({...f, dial_hate: 'extreme'}), /hate: level must be one of off, low/);
});
