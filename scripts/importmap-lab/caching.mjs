// 7. A returning visitor after a one-line edit of a leaf module: Chromium's own
// HTTP cache in a persistent profile, two browser launches, requests counted at
// the server. Once with the import map (specifiers as written), once with
// today's linking (specifiers rewritten to hashed names, hashes cascade).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch } from './lib/chromium.mjs';
import { startServer } from './lib/server.mjs';

const APP = 'js/app.js';
const LEAF = 'js/lib/leaf.js';

async function visit(server, profile, fn) {
  const browser = await launch({ userDataDir: profile });
  try {
    const page = await browser.newPage();
    const out = await fn(page);
    await page.close();
    return out;
  } finally {
    await browser.close();
  }
}

export const caching = {
  id: 'q7-caching',
  title: 'returning visitor after editing one line of leaf.js: what is fetched again (persistent profile, two launches)',
  async run(c) {
    const out = {};
    for (const mode of ['importmap', 'rewrite']) {
      const rewrite = mode === 'rewrite';
      const server = await startServer();
      const profile = mkdtempSync(path.join(tmpdir(), `importmap-lab-cache-${mode}-`));
      try {
        const v1 = c.buildSite(c.SOURCES, { rewrite });
        const v2 = c.buildSite({ ...c.SOURCES, [LEAF]: c.SOURCES[LEAF].replace('"leaf-v1"', '"leaf-v2"') }, { rewrite });
        const html = (site) => c.doc(`${rewrite ? '' : c.mapTag(c.importMap(site))}\n${c.entry(site.files[APP].hashedUrl)}`);
        const paths = () => server.log.filter((e) => e.path !== '/favicon.ico').map((e) => `${e.path} ${e.status}${e.headers['if-none-match'] || e.headers['if-modified-since'] ? ' (conditional)' : ''}`);
        const changed = Object.values(v2.files).filter((f) => v1.files[f.logical].hashedUrl !== f.hashedUrl).map((f) => f.logical);

        c.serveSite(server, v1);
        server.set('/page', html(v1), { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
        const first = await visit(server, profile, async (page) => {
          await page.goto(`${server.origin}/page`);
          return { res: await page.eval('globalThis.__res'), requests: paths() };
        });

        c.serveSite(server, v2); // the old hashed files stay served, as rcollect keeps them
        server.set('/page', html(v2), { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
        server.clearLog();
        const second = await visit(server, profile, async (page) => {
          await page.goto(`${server.origin}/page`);
          const r = { res: await page.eval('globalThis.__res'), requests: paths(), fromCache: page.fromCache().map((x) => x.url.replace(server.origin, '')) };
          server.clearLog();
          await page.reload();
          r.reloadRequests = paths();
          return r;
        });
        out[mode] = { changedHashes: changed, first, second };
      } finally {
        await server.close();
        rmSync(profile, { recursive: true, force: true });
      }
    }
    return out;
  },
  expect: (o) => [
    ['import map: second visit fetched only /page and the new leaf', o.importmap.second.requests.length === 2 && o.importmap.second.requests[0].startsWith('/page ') && /leaf\.[0-9a-f]{12}\.js 200/.test(o.importmap.second.requests[1]) && o.importmap.second.res.leaf === 'leaf-v2'],
    ['rewrite: second visit fetched /page + leaf, reexport, app (hashes cascade)', o.rewrite.second.requests.length === 4 && o.rewrite.changedHashes.length === 3 && o.rewrite.second.res.leaf === 'leaf-v2'],
    ['reload: only /page again (immutable modules not revalidated)', o.importmap.second.reloadRequests.length === 1 && o.importmap.second.reloadRequests[0].startsWith('/page ')],
  ],
  show: (o) => Object.entries(o).flatMap(([mode, r]) => [
    `${mode}: hashes changed by the edit: ${r.changedHashes.join(', ')}`,
    `${mode}: first visit  (${r.first.requests.length}): ${r.first.requests.join(', ')}`,
    `${mode}: second visit (${r.second.requests.length}): ${r.second.requests.join(', ')}`,
    `${mode}: served from cache on the second visit: ${r.second.fromCache.join(', ')}`,
    `${mode}: reload       (${r.second.reloadRequests.length}): ${r.second.reloadRequests.join(', ')}`,
  ]),
};
