// 9. The way a Rust test can check the same without a CDP client: run
// `chromium --headless --dump-dom` once per page, let the page write its result
// into the DOM, and read console lines from stderr (--enable-logging=stderr --v=0).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CHROMIUM } from './lib/chromium.mjs';
import { startServer } from './lib/server.mjs';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-logging=stderr', '--v=0', '--virtual-time-budget=5000', '--dump-dom'];

function dumpDom(url) {
  const profile = mkdtempSync(path.join(tmpdir(), 'importmap-lab-dd-'));
  return new Promise((resolve, reject) => {
    const p = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, url], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => { try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ } }, 60000);
    p.on('exit', (code) => { clearTimeout(t); rmSync(profile, { recursive: true, force: true }); resolve({ code, out, err }); });
    p.on('error', reject);
  });
}

export const dumpdom = {
  id: 'q9-dump-dom',
  title: 'no CDP needed: chromium --dump-dom shows the page\'s result, stderr shows the integrity console line',
  async run(c) {
    const out = {};
    for (const tampered of [false, true]) {
      const server = await startServer();
      try {
        const site = c.buildSite(c.SOURCES);
        const DYN = 'js/lib/dyn.js';
        c.serveSite(server, site, tampered ? { override: { [DYN]: c.tamper(site.files[DYN].bytes, '"dyn+"', '"dyn-"') } } : {});
        const waiter = '(function w(t0) { if (globalThis.__done || Date.now() - t0 > 3000) document.body.dataset.result = JSON.stringify(globalThis.__res ?? null); else setTimeout(w, 20, t0); })(Date.now());';
        server.set('/page', `<!doctype html><html><head>${c.mapTag(c.importMap(site))}${c.entry(site.files['js/app.js'].hashedUrl)}${c.inlineModule(waiter)}</head><body></body></html>`, { 'content-type': 'text/html; charset=utf-8' });
        const r = await dumpDom(`${server.origin}/page`);
        const m = /data-result="([^"]*)"/.exec(r.out);
        out[tampered ? 'tampered' : 'intact'] = {
          exit: r.code,
          result: m ? JSON.parse(m[1].replaceAll('&quot;', '"').replaceAll('&amp;', '&')) : null,
          consoleLines: r.err.split('\n').filter((l) => l.includes(':CONSOLE')).map((l) => l.replace(server.origin, '').slice(0, 400)),
        };
      } finally {
        await server.close();
      }
    }
    return out;
  },
  expect: (o) => [
    ['intact: DOM carries the full result', o.intact.result?.dyn === 'dyn+util' && o.intact.exit === 0],
    ['tampered: DOM carries the import() rejection', /Failed to fetch dynamically imported module/.test(o.tampered.result?.dynError ?? '')],
    ['tampered: stderr has the INFO:CONSOLE line "Failed to find a valid digest"', o.tampered.consoleLines.some((l) => l.includes('Failed to find a valid digest'))],
  ],
  show: (o) => [`intact result: ${JSON.stringify(o.intact.result)}`, `tampered result: ${JSON.stringify(o.tampered.result)}`, ...o.tampered.consoleLines.map((l) => `stderr: ${l}`)],
};
