/**
 * The only code that talks to the Feedlens companion (HTTP on 127.0.0.1).
 *
 *   const c = new CompanionClient({fetch, storage: chrome.storage.local, extensionId: chrome.runtime.id});
 *   await c.analyze({site: 'x', posts});          // -> {verdicts}
 *   await c.requestPairing(); await c.pollPairing(); // the popup drives these
 *
 * Errors are CompanionError with a code the UI can show: companion_not_running, not_paired,
 * pairing_denied, pairing_expired, not_implemented, http_<status>. Connection failures, 429 and 5xx
 * (but not 501) are retried with exponential backoff; nothing fails silently.
 */
const HOST = '127.0.0.1';

export class CompanionError extends Error {
  constructor(code, message, status = 0) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class CompanionClient {
  constructor({fetch, storage, extensionId, name = 'Feedlens extension', retries = 3, backoffMs = 250, timeoutMs = 30000}) {
    this.fetch = fetch;
    this.storage = storage;
    this.extensionId = extensionId;
    this.name = name;
    this.retries = retries;
    this.backoffMs = backoffMs;
    this.timeoutMs = timeoutMs;
    this.state = {status: 'unknown', checkedAt: 0, message: ''};
  }

  async settings() {
    const s = await this.storage.get(['port', 'token', 'pairing']);
    return {port: Number(s.port) || 8795, token: s.token || null, pairing: s.pairing || null};
  }

  async base() {
    return `http://${HOST}:${(await this.settings()).port}`;
  }

  setState(status, message = '') {
    this.state = {status, message, checkedAt: Date.now()};
  }

  /** One HTTP call with retries; resolves to the parsed JSON body, rejects with CompanionError. */
  async call(method, path, {body, auth = true, retries = this.retries} = {}) {
    const {token} = await this.settings();
    if (auth && !token) {
      this.setState('unpaired', 'This browser is not paired with the Feedlens companion yet.');
      throw new CompanionError('not_paired', 'Not paired with the Feedlens companion: open the Feedlens popup and pair.');
    }
    const headers = {Accept: 'application/json'};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth) headers.Authorization = `Bearer ${token}`;
    const url = `${await this.base()}${path}`;
    let lastError = null;
    for (let attempt = 0; attempt <= retries; attempt += 1) {
      if (attempt > 0) await sleep(this.backoffMs * 2 ** (attempt - 1));
      let resp;
      try {
        resp = await this.fetch(url, {method, headers, body: body === undefined ? undefined : JSON.stringify(body),
          cache: 'no-store', credentials: 'omit', signal: AbortSignal.timeout(this.timeoutMs)});
      } catch (err) {
        const where = `${HOST}:${(await this.settings()).port}`;
        lastError = err && (err.name === 'TimeoutError' || err.name === 'AbortError')
          ? new CompanionError('companion_timeout', `The Feedlens companion on ${where} did not answer within ${this.timeoutMs / 1000} s.`)
          : new CompanionError('companion_not_running',
            `The Feedlens companion is not running on ${where}. Start it with "feedlens serve" or the tray app.`);
        continue;
      }
      const payload = await resp.json().catch(() => ({}));
      if (resp.ok) {
        this.setState('ok');
        return payload;
      }
      const message = payload.error || payload.message || `HTTP ${resp.status}`;
      if (resp.status === 401) {
        await this.storage.remove('token'); // revoked or wrong: pair again
        this.setState('unpaired', 'The companion no longer accepts this browser: pair again.');
        throw new CompanionError('not_paired', message, 401);
      }
      if (resp.status === 501) throw new CompanionError('not_implemented', message, 501);
      lastError = new CompanionError(payload.code || `http_${resp.status}`, message, resp.status);
      if (resp.status !== 429 && resp.status < 500) throw lastError; // our request is wrong: retrying won't help
    }
    if (lastError.code === 'companion_not_running') this.setState('not_running', lastError.message);
    else this.setState('error', lastError.message);
    throw lastError;
  }

  async health() {
    try {
      const body = await this.call('GET', '/v1/health', {auth: false, retries: 0});
      const {token} = await this.settings();
      this.setState(token ? 'ok' : 'unpaired');
      return body;
    } catch (err) {
      return null;
    }
  }

  analyze({site, posts, translate}) {
    const body = {site, posts};
    if (translate !== undefined) body.translate = Boolean(translate);
    return this.call('POST', '/v1/analyze', {body});
  }

  feedback(event) {
    return this.call('POST', '/v1/feedback', {body: event});
  }

  getProfile() {
    return this.call('GET', '/v1/profile');
  }

  putProfile(profile) {
    return this.call('PUT', '/v1/profile', {body: profile});
  }

  status() {
    return this.call('GET', '/v1/status');
  }

  /** Ask the companion for a pairing code; the person approves it in the tray, settings or CLI. */
  async requestPairing() {
    const body = await this.call('POST', '/v1/pair/request', {auth: false, retries: 1,
      body: {extension_id: this.extensionId, name: this.name}});
    const pairing = {id: body.id, code: body.code, expires_at: Date.now() + (Number(body.expires_in) || 300) * 1000};
    await this.storage.set({pairing});
    return pairing;
  }

  /** One poll: stores the token when approved (it is shown only once), clears the pairing when final. */
  async pollPairing() {
    const {pairing} = await this.settings();
    if (!pairing) return {status: 'none'};
    if (Date.now() > pairing.expires_at) {
      await this.storage.remove('pairing');
      return {status: 'expired'};
    }
    const body = await this.call('GET', `/v1/pair/${encodeURIComponent(pairing.id)}`, {auth: false, retries: 1});
    if (body.status === 'approved' && body.token) {
      await this.storage.set({token: body.token});
      await this.storage.remove('pairing');
      this.setState('ok');
      return {status: 'approved'};
    }
    if (body.status === 'denied' || body.status === 'expired' || body.status === 'approved') {
      // "approved" without a token means another reader took it: start again.
      await this.storage.remove('pairing');
    }
    return {status: body.status, code: pairing.code};
  }

  async unpair() {
    await this.storage.remove(['token', 'pairing']);
    this.setState('unpaired');
  }
}
