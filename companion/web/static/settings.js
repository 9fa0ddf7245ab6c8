// Feedlens settings page. Plain JavaScript, no framework: it reads the profile and state from
// /settings/api/..., builds the controls with textContent (never innerHTML with data), and saves
// every change at once. State-changing requests carry the X-Feedlens-Settings header (CSRF).
"use strict";

const T = JSON.parse(document.getElementById("strings").textContent);
const LEVELS = ["off", "low", "medium", "high", "strict"];
const DIALS = ["toxicity", "offensive", "hate", "spam", "negativity"];
const ACTIONS = ["show", "badge", "blur", "collapse", "hide"];
const SITES = ["x", "reddit", "mastodon", "bluesky", "youtube", "weibo"];
let profile = null;

const $ = (sel, root = document) => root.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

async function api(path, method = "GET", body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (method !== "GET") opts.headers["X-Feedlens-Settings"] = "1";
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch("/settings/api/" + path, opts);
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(data.error || `${T.error} (${r.status})`);
  return data;
}

let toastTimer = null;
function toast(text, bad = false) {
  const t = $("#toast");
  t.textContent = text;
  t.classList.toggle("bad", bad);
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, bad ? 8000 : 2000);
}

async function guarded(fn) {
  try { return await fn(); } catch (e) { toast(e.message, true); return undefined; }
}

// --- profile ------------------------------------------------------------------------------

const entryText = (e) => (typeof e === "string" ? e : e && e.value) || "";

function getList(path) {
  const [a, b] = path.split(".");
  return b ? ((profile[a] = profile[a] || {})[b] = profile[a][b] || []) : (profile[a] = profile[a] || []);
}

async function saveProfile() {
  const saved = await guarded(() => api("profile", "PUT", profile));
  if (saved) { profile = saved; toast(T.saved); }
  renderProfile(); // on error this redraws the last good document
}

function renderChips() {
  for (const box of document.querySelectorAll("[data-list]")) {
    const list = getList(box.dataset.list);
    box.replaceChildren(...list.map((entry, i) => el("span", { class: "chip" }, entryText(entry),
      el("button", { type: "button", "aria-label": `${T.remove} ${entryText(entry)}`,
        onclick: () => { list.splice(i, 1); saveProfile(); } }, "×"))));
  }
}

function select(options, value, onchange, label) {
  const s = el("select", { "aria-label": label, onchange: (ev) => onchange(ev.target.value) },
    ...options.map(([v, text]) => el("option", { value: v, selected: v === value }, text)));
  return s;
}

function renderDials() {
  const box = $("#dials");
  box.replaceChildren(...DIALS.map((name) => {
    const group = el("div", { class: "seg", role: "radiogroup", "aria-label": T["dial_" + name] },
      ...LEVELS.map((level) => el("label", { class: "seg-item" },
        el("input", { type: "radio", name: "dial-" + name, value: level, checked: profile.dials[name] === level,
          onchange: () => { profile.dials[name] = level; saveProfile(); } }),
        el("span", {}, T["level_" + level]))));
    return el("div", { class: "dial" }, el("span", { class: "dial-name" }, T["dial_" + name]), group);
  }));
}

function renderTopics() {
  const box = $("#topic-list");
  const rows = profile.topics.map((topic, i) => el("div", { class: "topic" },
    el("span", { class: "topic-text" }, topic.text),
    select(ACTIONS.map((a) => [a, T["action_" + a]]), topic.action,
      (v) => { topic.action = v; saveProfile(); }, T.action),
    el("button", { type: "button", class: "secondary", onclick: () => { profile.topics.splice(i, 1); saveProfile(); } }, T.remove)));
  box.replaceChildren(...(rows.length ? rows : [el("p", { class: "hint" }, T.topic_none)]));
}

function renderSites() {
  $("#site-list").replaceChildren(...SITES.map((site) => el("label", { class: "site" },
    el("span", {}, T["site_" + site]),
    el("span", { class: "switch" },
      el("input", { type: "checkbox", "data-site": site, checked: profile.sites[site] !== false,
        onchange: (ev) => { profile.sites[site] = ev.target.checked; saveProfile(); } }),
      el("span")))));
}

function renderProfile() {
  if (!profile) return;
  profile.dials = profile.dials || {};
  profile.topics = profile.topics || [];
  profile.sites = profile.sites || {};
  renderChips();
  renderDials();
  renderTopics();
  renderSites();
  $("#auto_translate").checked = !!profile.auto_translate;
  $("#calm_mode").checked = !!profile.calm_mode;
  const ma = $("#mute_action");
  ma.replaceChildren(...ACTIONS.filter((a) => a !== "show").map((a) =>
    el("option", { value: a, selected: a === (profile.mute_action || "hide") }, T["action_" + a])));
}

function wireProfileForms() {
  for (const form of document.querySelectorAll("form[data-add]")) {
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const input = form.elements.v;
      const value = input.value.trim();
      if (!value || !profile) return;
      const list = getList(form.dataset.add);
      if (!list.some((e) => entryText(e) === value)) list.push(value);
      input.value = "";
      saveProfile();
    });
  }
  const topicForm = $("#topic-add");
  topicForm.elements.action.replaceChildren(...ACTIONS.filter((a) => a !== "show").map((a) =>
    el("option", { value: a, selected: a === "collapse" }, T["action_" + a])));
  topicForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = topicForm.elements.v.value.trim();
    if (!text || !profile) return;
    profile.topics.push({ text, action: topicForm.elements.action.value });
    topicForm.elements.v.value = "";
    saveProfile();
  });
  for (const id of ["auto_translate", "calm_mode"]) {
    $("#" + id).addEventListener("change", (ev) => { profile[id] = ev.target.checked; saveProfile(); });
  }
  $("#mute_action").addEventListener("change", (ev) => { profile.mute_action = ev.target.value; saveProfile(); });
}

// --- general ------------------------------------------------------------------------------

async function loadState() {
  const s = await guarded(() => api("state"));
  if (!s) return;
  $("#paused").checked = s.paused;
  $("#device").replaceChildren(...s.devices.map((d) => el("option", { value: d, selected: d === s.device }, T["device_" + d])));
  // The page's own language (?lang= may differ from the saved setting).
  $("#ui_language").value = document.documentElement.lang.startsWith("zh") ? "zh" : "en";
  $("#retention_days").value = s.retention_days;
  const pill = $("#state-pill");
  pill.textContent = T["state_" + (s.attention === "vault" ? "vault" : s.state)];
  pill.className = "pill pill-" + s.state;
  pill.hidden = false;
  document.body.classList.toggle("no-vault", !!s.vault_problem);
}

function wireGeneral() {
  $("#paused").addEventListener("change", async (ev) => {
    await guarded(() => api("pause", "POST", { paused: ev.target.checked }));
    loadState();
  });
  $("#device").addEventListener("change", async (ev) => {
    if (await guarded(() => api("device", "POST", { device: ev.target.value }))) toast(T.saved);
    loadState();
  });
  $("#ui_language").addEventListener("change", async (ev) => {
    if (await guarded(() => api("settings", "POST", { ui_language: ev.target.value }))) {
      location.search = "?lang=" + ev.target.value;
    }
  });
}

// --- pairings -----------------------------------------------------------------------------

async function loadPairings() {
  const data = await guarded(() => api("pairings"));
  if (!data) return;
  const pending = data.pending.map((p) => el("div", { class: "pending" },
    el("span", {}, `${T.pair_pending} `), el("strong", {}, p.name), el("code", { class: "code" }, p.code),
    el("button", { type: "button", onclick: () => decide("approve", p.code) }, T.pair_approve),
    el("button", { type: "button", class: "secondary", onclick: () => decide("deny", p.code) }, T.pair_deny)));
  $("#pending").replaceChildren(...pending);
  $("#pair-list").replaceChildren(...data.pairings.map((p) => el("tr", {},
    el("td", {}, p.name), el("td", {}, el("code", {}, p.extension_id)),
    el("td", {}, p.last_used ? new Date(p.last_used * 1000).toLocaleString() : T.pair_never),
    el("td", { class: "right" }, el("button", { type: "button", class: "secondary", onclick: async () => {
      if (!confirm(T.pair_revoke_confirm)) return;
      await guarded(() => api(`pairings/${encodeURIComponent(p.id)}/revoke`, "POST", {}));
      loadPairings();
    } }, T.pair_revoke)))));
  $("#pair-empty").hidden = data.pairings.length > 0;
  $("#pair-table").hidden = data.pairings.length === 0;
}

async function decide(what, code) {
  await guarded(() => api("pairings/" + what, "POST", { code }));
  loadPairings();
  loadState();
}

// --- models -------------------------------------------------------------------------------

const human = (n) => (n == null ? "—" : n >= 1e9 ? (n / 1e9).toFixed(1) + " GB" : n >= 1e6 ? (n / 1e6).toFixed(1) + " MB" : Math.max(1, Math.round(n / 1e3)) + " kB");

async function loadModels() {
  const data = await guarded(() => api("models"));
  if (!data) return;
  $("#model-list").replaceChildren(...data.models.map((m) => {
    const status = T["status_" + m.status] || m.status;
    let action = "";
    if (m.status === "available") {
      action = el("button", { type: "button", "data-pull": m.id, onclick: () => pullModel(m.id) }, T.model_pull);
    } else if (m.status === "installed") {
      action = el("button", { type: "button", class: "secondary", "data-remove": m.id, onclick: async () => {
        if (!confirm(T.model_remove_confirm)) return;
        await guarded(() => api("models/" + encodeURIComponent(m.id), "DELETE"));
        loadModels();
      } }, T.model_remove);
    }
    return el("tr", { "data-model": m.id },
      el("td", {}, el("code", {}, m.id)), el("td", {}, m.src && m.dst ? `${m.src} → ${m.dst}` : "—"),
      el("td", { class: "model-status" }, el("span", { class: "tag tag-" + m.status.split(" ")[0] }, status)),
      el("td", {}, human(m.bytes)), el("td", { class: "right" }, action));
  }));
}

async function pullModel(id) {
  const job = await guarded(() => api(`models/${encodeURIComponent(id)}/pull`, "POST", {}));
  if (!job) return;
  const cell = $(`tr[data-model="${CSS.escape(id)}"] .model-status`);
  const bar = el("progress", { max: "100", value: "0", "aria-label": id });
  const label = el("span", { class: "pct" }, "0%");
  cell.replaceChildren(el("div", { class: "progress" }, bar, label));
  const row = cell.parentElement;
  row.querySelector("button").disabled = true;
  for (;;) {
    const j = await guarded(() => api("jobs/" + job.id));
    if (!j) return;
    bar.value = j.percent;
    label.textContent = `${T["status_" + j.state]} ${Math.round(j.percent)}%`;
    row.dataset.state = j.state;
    row.dataset.percent = String(j.percent);
    if (j.state === "done") { setTimeout(loadModels, 800); return; }
    if (j.state === "error") { toast(j.error, true); loadModels(); return; }
    await new Promise((r) => setTimeout(r, 250));
  }
}

// --- privacy ------------------------------------------------------------------------------

function wirePrivacy() {
  $("#retention-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const days = parseInt($("#retention_days").value, 10);
    if (await guarded(() => api("settings", "POST", { retention_days: days }))) toast(T.saved);
  });
  $("#purge").addEventListener("click", async () => {
    const r = await guarded(() => api("purge", "POST", {}));
    if (r) toast(T.purged.replace("%d", r.purged));
  });
  const confirmBox = $("#erase-confirm");
  confirmBox.addEventListener("input", () => { $("#erase").disabled = confirmBox.value !== "ERASE"; });
  $("#erase-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const done = await guarded(() => api("erase", "POST", { confirm: confirmBox.value, forget_pairings: $("#forget_pairings").checked }));
    if (!done) return;
    confirmBox.value = "";
    $("#erase").disabled = true;
    toast(T.erased);
    profile = await guarded(() => api("profile"));
    renderProfile();
    loadPairings();
  });
}

async function main() {
  wireGeneral();
  wireProfileForms();
  wirePrivacy();
  await loadState();
  if (!document.body.classList.contains("no-vault")) {
    profile = await guarded(() => api("profile"));
    renderProfile();
  }
  await Promise.all([loadPairings(), loadModels()]);
  document.body.dataset.ready = "1";
  setInterval(() => { loadState(); loadPairings(); }, 5000);
}

main();
