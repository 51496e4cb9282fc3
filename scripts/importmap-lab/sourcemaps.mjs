// 8. Source maps: what Chromium takes from `//# sourceMappingURL=` and from a
// `SourceMap:` response header, whether it fetches maps by itself, and what a
// DevTools fetch of a map looks like at the server (DevTools loads maps with
// Network.loadNetworkResource(frameId, url, {includeCredentials: true}) through
// the page; front_end/core/sdk/PageResourceLoader.ts).
import { startServer } from './lib/server.mjs';
import { JS, IMMUTABLE } from './lib/site.mjs';

const MAP = (file) => JSON.stringify({ version: 3, file, sources: ['src.ts'], sourcesContent: ['// original'], names: [], mappings: 'AAAA' });

export const sourcemaps = {
  id: 'q8-sourcemaps',
  title: 'source maps: comment, SourceMap header (also on a module script), both, hidden, private (token header or cookie)',
  async run(c) {
    const server = await startServer();
    const out = {};
    try {
      const js = (name) => `(globalThis.__g ??= []).push(${JSON.stringify(name)});\n`;
      const files = {
        public: { js: js('public') + '//# sourceMappingURL=sm-public.js.0123456789ab.map\n', map: '/static/js/sm-public.js.0123456789ab.map' },
        header: { js: js('header'), map: '/static/js/sm-header.js.0123456789ab.map', header: true },
        hidden: { js: js('hidden'), map: '/static/js/sm-hidden.js.0123456789ab.map' },
        private: { js: js('private') + '//# sourceMappingURL=sm-private.js.0123456789ab.map\n', map: '/static/js/sm-private.js.0123456789ab.map', private: true },
        both: { js: js('both') + '//# sourceMappingURL=sm-both.from-comment.map\n', map: '/static/js/sm-both.js.0123456789ab.map', header: true },
      };
      for (const [name, f] of Object.entries(files)) {
        const url = `/static/js/sm-${name}.0123456789ab.js`;
        f.url = url;
        server.set(url, f.js, { 'content-type': JS, 'cache-control': IMMUTABLE, ...(f.header ? { sourcemap: f.map } : {}) });
        if (f.private) {
          server.routes.set(f.map, (req, res, entry) => {
            const ok = req.headers['x-sourcemap-token'] === 'secret' || /(?:^|; )sourcemap_token=secret(?:;|$)/.test(req.headers.cookie ?? '');
            entry.status = ok ? 200 : 404;
            res.writeHead(entry.status, ok ? { 'content-type': 'application/json', 'cache-control': 'private, no-store' } : { 'content-type': 'text/plain', 'cache-control': 'no-store' });
            res.end(ok ? MAP(url) : 'not found');
          });
        } else {
          server.set(f.map, MAP(url), { 'content-type': 'application/json', 'cache-control': IMMUTABLE });
        }
      }
      server.set('/page', c.doc(c.inlineModule(Object.values(files).map((f) => `import "${f.url}";`).join('\n') + '\nglobalThis.__done = true;')), { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });

      const page = await c.browser.newPage();
      try {
        await page.send('Debugger.enable');
        await page.goto(`${server.origin}/page`);
        out.ran = await page.eval('globalThis.__g');
        out.scriptParsed = page.events.filter((e) => e.method === 'Debugger.scriptParsed' && e.params.url.includes('/static/'))
          .map((e) => ({ url: e.params.url.replace(server.origin, ''), sourceMapURL: e.params.sourceMapURL.replace(server.origin, '') }));
        out.mapsFetchedByChromiumItself = server.log.filter((e) => e.path.endsWith('.map')).map((e) => e.path);

        // What DevTools does to show a map: Network.loadNetworkResource through the page.
        const load = async (url) => {
          server.clearLog();
          const r = await page.send('Network.loadNetworkResource', { frameId: page.targetId, url: server.origin + url, options: { disableCache: true, includeCredentials: true } });
          const e = server.log.find((x) => x.path === url);
          return { success: r.resource.success, status: r.resource.httpStatusCode, netErrorName: r.resource.netErrorName, requestHeaders: e?.allHeaders };
        };
        out.devtoolsPublic = await load(files.public.map);
        out.devtoolsPrivateNoToken = await load(files.private.map);
        await page.eval('document.cookie = "sourcemap_token=secret; path=/static/; SameSite=Strict"');
        out.devtoolsPrivateCookie = await load(files.private.map);
        await page.eval('document.cookie = "sourcemap_token=; path=/static/; max-age=0"');
        await page.send('Network.setExtraHTTPHeaders', { headers: { 'X-SourceMap-Token': 'secret' } });
        out.devtoolsPrivateHeader = await load(files.private.map);
        await page.send('Network.setExtraHTTPHeaders', { headers: {} });
      } finally {
        await page.close();
      }
    } finally {
      await server.close();
    }
    return out;
  },
  expect: (o) => {
    const sm = (n) => o.scriptParsed.find((s) => s.url.includes(`sm-${n}.`))?.sourceMapURL;
    const hdrs = o.devtoolsPublic.requestHeaders ?? {};
    return [
      ['all five modules ran', o.ran?.length === 5],
      ['comment and SourceMap header both present: the header wins', sm('both') === '/static/js/sm-both.js.0123456789ab.map'],
      ['comment: sourceMapURL is the comment as written (relative to the script)', sm('public') === 'sm-public.js.0123456789ab.map'],
      ['SourceMap response header: Chromium reports it as sourceMapURL', sm('header') === '/static/js/sm-header.js.0123456789ab.map'],
      ['hidden: no sourceMapURL', sm('hidden') === ''],
      ['Chromium fetched no map by itself (DevTools closed)', o.mapsFetchedByChromiumItself.length === 0],
      ['a DevTools map fetch carries no marker header (no sec-fetch-dest, no special header)', !Object.keys(hdrs).some((h) => /sourcemap|devtools/i.test(h))],
      ['private, no token: 404', o.devtoolsPrivateNoToken.status === 404],
      ['private, the page\'s cookie: 200 (DevTools sends credentials)', o.devtoolsPrivateCookie.status === 200],
      ['private, X-SourceMap-Token via Network.setExtraHTTPHeaders: not applied to DevTools\' map fetch (404)', o.devtoolsPrivateHeader.status === 404],
    ];
  },
  show: (o) => [
    ...o.scriptParsed.map((s) => `scriptParsed ${s.url} sourceMapURL=${JSON.stringify(s.sourceMapURL)}`),
    `maps fetched by Chromium itself: ${JSON.stringify(o.mapsFetchedByChromiumItself)}`,
    `DevTools-style fetch of the public map, request headers: ${JSON.stringify(o.devtoolsPublic.requestHeaders)}`,
    `private map: no token ${o.devtoolsPrivateNoToken.status}, cookie ${o.devtoolsPrivateCookie.status}, header ${o.devtoolsPrivateHeader.status}`,
  ],
};
