// Starts Debian's Chromium headless with a DevTools port and talks the Chrome
// DevTools Protocol to it over `ws` (flat sessions). Every Chromium started here
// is stopped by its own process group id, never by name.
import { spawn } from 'node:child_process';
import WebSocket from 'ws';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function launch({ userDataDir, args = [] }) {
  const extra = (process.env.LAB_CHROMIUM_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(CHROMIUM, [...FLAGS, ...extra, ...args, `--user-data-dir=${userDataDir}`, '--remote-debugging-port=0', 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'], detached: true,
  });
  let stderr = '';
  const wsUrl = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`Chromium did not start:\n${stderr}`)), 20000);
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
      if (m) { clearTimeout(t); resolve(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(t); reject(new Error(`Chromium exited ${code}:\n${stderr}`)); });
  });
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return new Browser(proc, ws);
}

class Browser {
  constructor(proc, ws) {
    this.proc = proc;
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Set();
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message} ${msg.error.data ?? ''}`));
        else p.resolve(msg.result);
      } else {
        for (const l of this.listeners) l(msg);
      }
    });
  }

  send(method, params = {}, sessionId) {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method, params, sessionId }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, method }));
  }

  async version() { return this.send('Browser.getVersion'); }

  async newPage() {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this, targetId, sessionId);
    for (const m of ['Runtime.enable', 'Log.enable', 'Network.enable', 'Page.enable', 'Audits.enable']) {
      await page.send(m);
    }
    return page;
  }

  async close() {
    try { await Promise.race([this.send('Browser.close'), sleep(3000)]); } catch { /* already gone */ }
    const exited = await Promise.race([
      new Promise((r) => (this.proc.exitCode !== null ? r(true) : this.proc.once('exit', () => r(true)))),
      sleep(5000).then(() => false),
    ]);
    if (!exited) {
      try { process.kill(-this.proc.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    this.ws.terminate();
  }
}

class Page {
  constructor(browser, targetId, sessionId) {
    this.browser = browser;
    this.targetId = targetId;
    this.sessionId = sessionId;
    this.events = [];
    this.waiters = [];
    this.listener = (msg) => {
      if (msg.sessionId !== sessionId) return;
      this.events.push(msg);
      for (const w of [...this.waiters]) if (w.pred(msg)) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(msg); }
    };
    browser.listeners.add(this.listener);
  }

  send(method, params = {}) { return this.browser.send(method, params, this.sessionId); }

  waitFor(pred, timeout = 10000) {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      this.waiters.push(w);
      setTimeout(() => { const i = this.waiters.indexOf(w); if (i >= 0) { this.waiters.splice(i, 1); reject(new Error('timeout')); } }, timeout);
    });
  }

  async eval(expression) {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
    return r.result.value;
  }

  // Navigates, waits for the load event, then until `globalThis.__done` or `settle` ms.
  async goto(url, { settle = 1500 } = {}) {
    this.events.length = 0;
    const loaded = this.waitFor((m) => m.method === 'Page.loadEventFired', 15000);
    const nav = await this.send('Page.navigate', { url });
    if (nav.errorText) throw new Error(`navigate ${url}: ${nav.errorText}`);
    await loaded;
    return this.settle(settle);
  }

  async reload({ settle = 1500 } = {}) {
    this.events.length = 0;
    const loaded = this.waitFor((m) => m.method === 'Page.loadEventFired', 15000);
    await this.send('Page.reload', {});
    await loaded;
    return this.settle(settle);
  }

  async settle(settle) {
    const until = Date.now() + settle;
    while (Date.now() < until) {
      if (await this.eval('globalThis.__done === true')) break;
      await sleep(50);
    }
    await sleep(200); // let console messages and reports arrive
  }

  // What the page said: console, log entries, exceptions, failed loads, issues.
  messages() {
    const out = [];
    for (const { method, params } of this.events) {
      if (method === 'Log.entryAdded') out.push({ via: `log/${params.entry.source}/${params.entry.level}`, text: params.entry.text, url: params.entry.url });
      else if (method === 'Runtime.consoleAPICalled') out.push({ via: `console.${params.type}`, text: params.args.map((a) => a.value ?? a.description).join(' ') });
      else if (method === 'Runtime.exceptionThrown') out.push({ via: 'exception', text: params.exceptionDetails.exception?.description ?? params.exceptionDetails.text });
      else if (method === 'Audits.issueAdded') out.push({ via: `issue/${params.issue.code}`, text: JSON.stringify(params.issue.details) });
    }
    return out;
  }

  failedLoads() {
    const byId = new Map();
    for (const { method, params } of this.events) if (method === 'Network.requestWillBeSent') byId.set(params.requestId, params.request.url);
    return this.events.filter((e) => e.method === 'Network.loadingFailed').map(({ params }) => ({
      url: byId.get(params.requestId), errorText: params.errorText, blockedReason: params.blockedReason, corsErrorStatus: params.corsErrorStatus,
    }));
  }

  fromCache() {
    const out = [];
    const byId = new Map();
    for (const { method, params } of this.events) {
      if (method === 'Network.requestWillBeSent') byId.set(params.requestId, params.request.url);
      if (method === 'Network.requestServedFromCache') out.push({ url: byId.get(params.requestId), from: 'cache' });
      if (method === 'Network.responseReceived' && (params.response.fromDiskCache || params.response.fromPrefetchCache)) out.push({ url: params.response.url, from: 'disk' });
    }
    return out;
  }

  async close() {
    this.browser.listeners.delete(this.listener);
    await this.browser.send('Target.closeTarget', { targetId: this.targetId });
  }
}
