// The experiments for questions 1-6 (caching.mjs: 7, sourcemaps.mjs: 8). Each one
// builds a page, runs it in Chromium, and states what it expects to observe.
const f = (site, logical) => site.files[logical];
const APP = 'js/app.js';
const LEAF = 'js/lib/leaf.js';
const DYN = 'js/lib/dyn.js';
const MID = 'js/lib/mid.js';

// ---- expectations over an observation ----
const ranFully = (o) => !!o.res && o.res.leaf === 'leaf-v1' && o.res.mid === 'mid+util' && o.res.fromLeaf === 'leaf-v1' && o.res.dyn === 'dyn+util';
const onlyHashed = (o) => o.requests.length > 0 && o.requests.every((r) => r.kind === 'hashed');
const requested = (o, p) => o.requests.filter((r) => r.path === p).length;
const said = (o, re) => o.messages.some((m) => re.test(m.text));
const evaluatedOnce = (o) => ['app', 'leaf', 'mid', 'util', 'reexport', 'dyn'].every((n) => o.mods.filter(([m]) => m === n).length === 1);
const nothingEvaluated = (o) => o.mods.length === 0 && o.res === null;
const reports = (o) => o.events.filter((e) => e.type === 'report').map((e) => e.report);

function show(o) {
  const lines = [];
  lines.push(`requests: ${o.requests.map((r) => `${r.path}${r.kind === 'hashed' ? '' : ` [${r.kind}]`}${r.status !== 200 ? ` ${r.status}` : ''}`).join(', ') || '(none)'}`);
  if (o.res) lines.push(`result: ${JSON.stringify(o.res)}`);
  if (o.globals) lines.push(`globals: ${JSON.stringify(o.globals)}`);
  lines.push(`evaluated: ${o.mods.map(([n, u]) => `${n}@${u}`).join(', ') || '(nothing)'}`);
  for (const m of o.messages) lines.push(`${m.via}: ${m.text}`);
  for (const e of o.events) lines.push(`event ${e.type}: ${JSON.stringify(e.target ?? e.reason ?? e.report)}`);
  for (const fl of o.failed) lines.push(`loadingFailed: ${fl.url} ${fl.errorText}${fl.blockedReason ? ` blockedReason=${fl.blockedReason}` : ''}`);
  if (o.extra) lines.push(`extra: ${JSON.stringify(o.extra)}`);
  return lines;
}

// A standard page: import map (if any) then the entry module by its hashed URL.
function page(c, { site, map, mapAttrs = '', head = '', body = '', entryHtml }) {
  const e = entryHtml ?? c.entry(f(site, APP).hashedUrl);
  return c.doc(`${map ? c.mapTag(map, mapAttrs) : ''}\n${head}\n${e}`, body);
}

export const EXPERIMENTS = [
  // ---------------- 1. resolution ----------------
  {
    id: 'q1.1-path-keys',
    title: 'map keys are absolute paths (/static/...); static import, export-from, ../, import() all go to hashed URLs',
    run: (c) => c.runPage(c.browser, ({ site }) => ({ html: page(c, { site, map: c.importMap(site) }) })),
    expect: (o) => [
      ['graph ran (static, export-from, ../, dynamic)', ranFully(o)],
      ['import.meta.resolve("./lib/leaf.js") gives the hashed URL', o.res?.resolved?.endsWith(o.site[LEAF])],
      ['only hashed URLs were requested', onlyHashed(o)],
      ['each module evaluated once, import.meta.url is the hashed URL', evaluatedOnce(o) && o.mods.every(([, u]) => Object.values(o.site).includes(u))],
      ['module requests are sec-fetch-dest=script, mode=cors', o.requests.every((r) => r.dest === 'script' && r.mode === 'cors')],
    ],
    show,
  },
  {
    id: 'q1.2-origin-keys',
    title: 'map keys as full URLs with origin work the same',
    run: (c) => c.runPage(c.browser, ({ site, origin }) => ({ html: page(c, { site, map: c.importMap(site, { keys: 'origin', origin }) }) })),
    expect: (o) => [['graph ran', ranFully(o)], ['only hashed URLs were requested', onlyHashed(o)]],
    show,
  },
  {
    id: 'q1.3-deep-page-path-keys',
    title: 'page at /deep/nested/page: absolute-path keys still match',
    run: (c) => c.runPage(c.browser, ({ site }) => ({ pagePath: '/deep/nested/page', html: page(c, { site, map: c.importMap(site) }) })),
    expect: (o) => [['graph ran', ranFully(o)], ['only hashed URLs were requested', onlyHashed(o)]],
    show,
  },
  {
    id: 'q1.4-deep-page-relative-keys',
    title: 'page at /deep/nested/page: keys "./static/..." resolve against the page URL and match nothing',
    run: (c) => c.runPage(c.browser, ({ site }) => ({ pagePath: '/deep/nested/page', html: page(c, { site, map: c.importMap(site, { keys: 'relative', integrity: false }) }) })),
    expect: (o) => [['unhashed URLs were requested (map did not apply)', o.requests.some((r) => r.kind === 'UNHASHED')]],
    show,
  },
  {
    id: 'q1.5-bare-keys',
    title: 'keys without a leading slash ("static/js/...") are bare specifiers: relative imports never match them',
    run: (c) => c.runPage(c.browser, ({ site }) => ({ html: page(c, { site, map: c.importMap(site, { keys: 'bare', integrity: false }) }) })),
    expect: (o) => [['unhashed URLs were requested (map did not apply)', o.requests.some((r) => r.kind === 'UNHASHED')]],
    show,
  },
  {
    id: 'q1.6-missing-entry',
    title: 'a module missing from "imports" is fetched at its unhashed URL (no error)',
    run: (c) => c.runPage(c.browser, ({ site }) => ({ html: page(c, { site, map: c.importMap(site, { omitImports: [LEAF], integrity: false }) }) })),
    expect: (o) => [['graph ran', ranFully(o)], ['leaf fetched unhashed', requested(o, '/static/js/lib/leaf.js') === 1]],
    show,
  },
  {
    id: 'q1.7-prefix-key',
    title: 'a trailing-slash prefix key catches what no exact key matches; exact keys win',
    run: (c) => c.runPage(c.browser, ({ site }) => {
      const map = c.importMap(site, { omitImports: [LEAF], integrity: false });
      map.imports['/static/js/lib/'] = '/static/elsewhere/js/lib/';
      return { html: page(c, { site, map }) };
    }),
    expect: (o) => [
      ['leaf went through the prefix', requested(o, '/static/elsewhere/js/lib/leaf.js') === 1],
      ['mid (exact key) went to its hashed URL', requested(o, o.site[MID]) === 1],
    ],
    show,
  },
  {
    id: 'q1.8-entry-unhashed-src',
    title: '<script src> is never mapped: an unhashed entry src plus an import of it evaluates the entry twice',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      html: page(c, { site, map: c.importMap(site), entryHtml: `${c.entry('/static/js/app.js')}\n${c.inlineModule('import "/static/js/app.js";')}` }),
    })),
    expect: (o) => [
      ['both /static/js/app.js and the hashed app were fetched', requested(o, '/static/js/app.js') === 1 && requested(o, o.site[APP]) === 1],
      ['app evaluated twice (two module instances)', o.mods.filter(([n]) => n === 'app').length === 2],
    ],
    show,
  },
  {
    id: 'q1.9-entry-inline-import',
    title: 'an inline module `import "/static/js/app.js"` goes through the map',
    run: (c) => c.runPage(c.browser, ({ site }) => ({ html: page(c, { site, map: c.importMap(site), entryHtml: c.inlineModule('import "/static/js/app.js";') }) })),
    expect: (o) => [['graph ran', ranFully(o)], ['only hashed URLs were requested', onlyHashed(o)]],
    show,
  },
  {
    id: 'q1.10-non-ascii',
    title: 'non-ASCII file names: raw UTF-8 keys and percent-encoded keys both match',
    run: async (c) => {
      const out = {};
      const extra = { 'js/intl.js': 'import { c } from "./lib/café.js";\nglobalThis.__g = { c };\nglobalThis.__done = true;\n', 'js/lib/café.js': 'export const c = "café";\n' };
      for (const enc of ['raw', 'percent']) {
        const build = ({ site }) => {
          const map = c.importMap(site, { integrity: true });
          if (enc === 'percent') {
            for (const k of Object.keys(map.imports)) { const v = map.imports[k]; delete map.imports[k]; map.imports[encodeURI(k)] = encodeURI(v); }
            for (const k of Object.keys(map.integrity)) { const v = map.integrity[k]; delete map.integrity[k]; map.integrity[encodeURI(k)] = v; }
          }
          return { html: page(c, { site, map, entryHtml: c.entry(encodeURI(f(site, 'js/intl.js').hashedUrl)) }) };
        };
        build.extraSources = extra;
        out[enc] = await c.runPage(c.browser, build);
      }
      return { ...out.raw, requests: [...out.raw.requests, ...out.percent.requests], extra: { raw: out.raw.globals, percent: out.percent.globals, percentRequests: out.percent.requests.map((r) => `${r.path} ${r.kind}`) } };
    },
    expect: (o) => [['both forms ran via hashed URLs', o.extra.raw?.c === 'café' && o.extra.percent?.c === 'café' && onlyHashed(o)]],
    show,
  },

  // ---------------- 2. integrity ----------------
  {
    id: 'q2.1-tamper-static',
    title: 'leaf altered on disk (same size): the map\'s integrity refuses it and the whole static graph fails',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      html: page(c, { site, map: c.importMap(site) }),
      serve: { override: { [LEAF]: c.tamper(f(site, LEAF).bytes, 'leaf-v1', 'leaf-XX') } },
    })),
    expect: (o) => [
      ['nothing evaluated', nothingEvaluated(o)],
      ['console: "Failed to find a valid digest in the \'integrity\' attribute"', said(o, /Failed to find a valid digest in the 'integrity' attribute for resource '.*leaf\.[0-9a-f]{12}\.js' with computed SHA-384 integrity/)],
      ['the entry <script> fired an error event', o.events.some((e) => e.type === 'error' && e.target === o.site[APP])],
    ],
    show,
  },
  {
    id: 'q2.2-tamper-dynamic',
    title: 'dyn altered: static graph runs, import() rejects',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      html: page(c, { site, map: c.importMap(site) }),
      serve: { override: { [DYN]: c.tamper(f(site, DYN).bytes, '"dyn+"', '"dyn-"') } },
    })),
    expect: (o) => [
      ['static part ran', o.res?.leaf === 'leaf-v1' && o.res?.mid === 'mid+util'],
      ['import() rejected: TypeError: Failed to fetch dynamically imported module', /TypeError: Failed to fetch dynamically imported module: .*dyn\.[0-9a-f]{12}\.js/.test(o.res?.dynError ?? '')],
      ['console names the digest failure', said(o, /Failed to find a valid digest.*dyn\./)],
    ],
    show,
  },
  {
    id: 'q2.3-tamper-entry-no-attr',
    title: 'entry <script type=module src=hashed> without integrity attribute takes its integrity from the map',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      html: page(c, { site, map: c.importMap(site) }),
      serve: { override: { [APP]: c.tamper(f(site, APP).bytes, '["app"', '["apq"') } },
    })),
    expect: (o) => [['nothing evaluated', nothingEvaluated(o)], ['digest failure for app', said(o, /Failed to find a valid digest.*app\./)]],
    show,
  },
  {
    id: 'q2.4-integrity-keyed-by-unhashed-url',
    title: '"integrity" keyed by the unhashed URL does not apply: keys are looked up by the resolved (hashed) URL',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      html: page(c, { site, map: c.importMap(site, { integrityKeys: 'unhashed' }) }),
      serve: { override: { [LEAF]: c.tamper(f(site, LEAF).bytes, 'leaf-v1', 'leaf-XX') } },
    })),
    expect: (o) => [['the altered leaf ran', o.res?.leaf === 'leaf-XX']],
    show,
  },
  {
    id: 'q2.5-integrity-origin-keys',
    title: '"integrity" keys as full URLs work like absolute paths',
    run: (c) => c.runPage(c.browser, ({ site, origin }) => ({
      html: page(c, { site, map: c.importMap(site, { keys: 'origin', origin }) }),
      serve: { override: { [LEAF]: c.tamper(f(site, LEAF).bytes, 'leaf-v1', 'leaf-XX') } },
    })),
    expect: (o) => [['refused', nothingEvaluated(o) && said(o, /Failed to find a valid digest/)]],
    show,
  },
  {
    id: 'q2.6-odd-values',
    title: 'unknown algorithm ("sha1-") is not enforced; a non-string value is dropped with a warning',
    run: (c) => c.runPage(c.browser, ({ site }) => {
      const map = c.importMap(site);
      map.integrity[f(site, LEAF).hashedUrl] = 'sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA=';
      map.integrity[f(site, MID).hashedUrl] = 42;
      return {
        html: page(c, { site, map }),
        serve: { override: { [LEAF]: c.tamper(f(site, LEAF).bytes, 'leaf-v1', 'leaf-XX'), [MID]: c.tamper(f(site, MID).bytes, '"mid+"', '"mid-"') } },
      };
    }),
    expect: (o) => [['both altered modules ran', o.res?.leaf === 'leaf-XX' && o.res?.mid === 'mid-util']],
    show,
  },
  {
    id: 'q2.7-gzip',
    title: 'integrity is over the decoded body: a gzip-encoded response passes with the identity sha384',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      html: page(c, { site, map: c.importMap(site) }),
      serve: { override: { [LEAF]: c.gzipSync(f(site, LEAF).bytes) }, headers: { [LEAF]: { 'content-encoding': 'gzip', vary: 'Accept-Encoding' } } },
      extra: async (_p, server) => server.log.find((e) => e.path === f(site, LEAF).hashedUrl)?.headers['accept-encoding'],
    })),
    expect: (o) => [['graph ran', ranFully(o)]],
    show,
  },
  {
    id: 'q2.8-modulepreload-no-attr-tampered',
    title: '<link rel=modulepreload> without integrity attribute takes the map\'s integrity',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      html: page(c, { site, map: c.importMap(site), head: `<link rel="modulepreload" href="${f(site, LEAF).hashedUrl}">` }),
      serve: { override: { [LEAF]: c.tamper(f(site, LEAF).bytes, 'leaf-v1', 'leaf-XX') } },
    })),
    expect: (o) => [['refused', nothingEvaluated(o) && said(o, /Failed to find a valid digest.*leaf\./)]],
    show,
  },

  // ---------------- 3. several maps ----------------
  {
    id: 'q3.1-two-maps',
    title: 'two inline maps are merged',
    run: (c) => c.runPage(c.browser, ({ site }) => {
      const m = c.importMap(site);
      const a = { imports: { [f(site, LEAF).url]: f(site, LEAF).hashedUrl }, integrity: { [f(site, LEAF).hashedUrl]: f(site, LEAF).integrity } };
      delete m.imports[f(site, LEAF).url];
      delete m.integrity[f(site, LEAF).hashedUrl];
      return { html: page(c, { site, head: `${c.mapTag(a)}\n${c.mapTag(m)}` }) };
    }),
    expect: (o) => [['graph ran', ranFully(o)], ['only hashed', onlyHashed(o)]],
    show,
  },
  {
    id: 'q3.2-integrity-in-second-map',
    title: 'an integrity entry from a second map applies',
    run: (c) => c.runPage(c.browser, ({ site }) => {
      const m = c.importMap(site);
      const b = { integrity: { [f(site, LEAF).hashedUrl]: f(site, LEAF).integrity } };
      delete m.integrity[f(site, LEAF).hashedUrl];
      return { html: page(c, { site, head: `${c.mapTag(m)}\n${c.mapTag(b)}` }), serve: { override: { [LEAF]: c.tamper(f(site, LEAF).bytes, 'leaf-v1', 'leaf-XX') } } };
    }),
    expect: (o) => [['refused', nothingEvaluated(o)]],
    show,
  },
  {
    id: 'q3.3-conflict',
    title: 'two maps mapping the same key: the first wins, the second\'s entry is ignored',
    run: (c) => c.runPage(c.browser, ({ site }) => {
      const m = c.importMap(site, { integrity: false });
      const b = { imports: { [f(site, LEAF).url]: '/static/js/lib/leaf.other.js' } };
      return { html: page(c, { site, head: `${c.mapTag(m)}\n${c.mapTag(b)}` }) };
    }),
    expect: (o) => [['graph ran via the first mapping', ranFully(o) && requested(o, '/static/js/lib/leaf.other.js') === 0]],
    show,
  },
  {
    id: 'q3.4-map-after-module',
    title: 'an import map after a module script that has already resolved its imports',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      html: c.doc(`${c.inlineModule('import "./static/js/lib/leaf.js"; globalThis.__g = "inline-before-map";')}\n${c.mapTag(c.importMap(site))}\n${c.entry(f(site, APP).hashedUrl)}`),
    })),
    expect: (o) => [['the graph still ran', ranFully(o)]],
    show,
  },
  {
    id: 'q3.5-external-src',
    title: '<script type=importmap src=...> is not supported',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      html: page(c, { site, head: '<script type="importmap" src="/importmap.json"></script>' }),
      routes: { '/importmap.json': { body: JSON.stringify(c.importMap(site)), headers: { 'content-type': 'application/importmap+json' } } },
    })),
    expect: (o) => [['importmap.json never requested', requested(o, '/importmap.json') === 0], ['unhashed URLs requested', o.requests.some((r) => r.kind === 'UNHASHED')]],
    show,
  },
  {
    id: 'q3.6-invalid-json',
    title: 'a map that is not JSON: error on the console, page goes on without a map',
    run: (c) => c.runPage(c.browser, ({ site }) => ({ html: page(c, { site, head: '<script type="importmap">{"imports": {,}}</script>' }) })),
    expect: (o) => [['unhashed URLs requested', o.requests.some((r) => r.kind === 'UNHASHED')], ['an exception was reported', o.messages.some((m) => m.via === 'exception')]],
    show,
  },
  {
    id: 'q3.7-injected-by-script',
    title: 'a map inserted by a (classic) script before the module scripts applies',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      html: page(c, { site, head: `<script>const s = document.createElement("script"); s.type = "importmap"; s.textContent = ${JSON.stringify(JSON.stringify(c.importMap(site)))}; document.head.append(s);</script>` }),
    })),
    expect: (o) => [['graph ran', ranFully(o)], ['only hashed', onlyHashed(o)]],
    show,
  },

  // ---------------- 4. Integrity-Policy ----------------
  {
    id: 'q4.1-policy-all-covered',
    title: 'Integrity-Policy: blocked-destinations=(script); every module has integrity in the map (entry too, no attribute)',
    run: (c) => c.runPage(c.browser, ({ site }) => ({ headers: { 'integrity-policy': 'blocked-destinations=(script)' }, html: page(c, { site, map: c.importMap(site) }) })),
    expect: (o) => [
      ['graph ran', ranFully(o)],
      ['yet one violation report, for the entry (its speculative preload has no integrity; see q4.13, q4.14)', reports(o).length === 1 && reports(o)[0].body.blockedURL.endsWith(o.site[APP])],
      ['inline classic prelude ran', Array.isArray(o.events)],
    ],
    show,
  },
  {
    id: 'q4.2-policy-dynamic-missing',
    title: 'Integrity-Policy: dyn has no integrity: import() is blocked before any request',
    run: (c) => c.runPage(c.browser, ({ site }) => ({ headers: { 'integrity-policy': 'blocked-destinations=(script)' }, html: page(c, { site, map: c.importMap(site, { omitIntegrity: [DYN] }) }) })),
    expect: (o) => [
      ['static part ran', o.res?.leaf === 'leaf-v1'],
      ['import() rejected', /Failed to fetch dynamically imported module/.test(o.res?.dynError ?? '')],
      ['dyn never reached the server', requested(o, o.site[DYN]) === 0],
      ['an integrity-violation report (ReportingObserver)', reports(o).some((r) => r.type === 'integrity-violation' && r.body.blockedURL.endsWith(o.site[DYN]) && r.body.reportOnly === false)],
    ],
    show,
  },
  {
    id: 'q4.3-policy-static-missing',
    title: 'Integrity-Policy: leaf has no integrity: the static graph fails',
    run: (c) => c.runPage(c.browser, ({ site }) => ({ headers: { 'integrity-policy': 'blocked-destinations=(script)' }, html: page(c, { site, map: c.importMap(site, { omitIntegrity: [LEAF] }) }) })),
    expect: (o) => [['nothing evaluated', nothingEvaluated(o)], ['leaf never reached the server', requested(o, o.site[LEAF]) === 0]],
    show,
  },
  {
    id: 'q4.4-policy-entry-attr-only',
    title: 'Integrity-Policy: integrity attribute on the entry only (map without "integrity"): the imports are blocked',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      headers: { 'integrity-policy': 'blocked-destinations=(script)' },
      html: page(c, { site, map: c.importMap(site, { integrity: false }), entryHtml: c.entry(f(site, APP).hashedUrl, ` integrity="${f(site, APP).integrity}"`) }),
    })),
    expect: (o) => [['nothing evaluated', nothingEvaluated(o)], ['only the entry was requested', o.requests.length === 1 && o.requests[0].path === o.site[APP]]],
    show,
  },
  {
    id: 'q4.5-policy-classic-scripts',
    title: 'Integrity-Policy and classic scripts: no integrity, integrity without crossorigin (no-cors), integrity with crossorigin, inline',
    run: (c) => c.runPage(c.browser, () => {
      const s = (name) => `(globalThis.__g ??= {}).${name} = true;\n`;
      const routes = {};
      for (const n of ['a', 'b', 'c']) routes[`/static/classic-${n}.js`] = { body: s(n), headers: { 'content-type': c.JS } };
      return {
        headers: { 'integrity-policy': 'blocked-destinations=(script)' },
        routes,
        html: c.doc(`<script src="/static/classic-a.js"></script>
<script src="/static/classic-b.js" integrity="${c.sha384(Buffer.from(s('b')))}"></script>
<script src="/static/classic-c.js" integrity="${c.sha384(Buffer.from(s('c')))}" crossorigin="anonymous"></script>
<script>(globalThis.__g ??= {}).inline = true;</script>`),
      };
    }),
    expect: (o) => [
      ['no integrity: blocked', !o.globals?.a],
      ['integrity but no crossorigin (no-cors): blocked', !o.globals?.b],
      ['integrity + crossorigin: ran', o.globals?.c === true],
      ['inline classic: ran', o.globals?.inline === true],
    ],
    show,
  },
  {
    id: 'q4.6-policy-modulepreload',
    title: 'Integrity-Policy and modulepreload: attribute, map integrity, neither',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      headers: { 'integrity-policy': 'blocked-destinations=(script)' },
      html: page(c, {
        site,
        map: c.importMap(site, { omitIntegrity: [DYN, LEAF] }),
        head: `<link rel="modulepreload" href="${f(site, LEAF).hashedUrl}" integrity="${f(site, LEAF).integrity}">\n<link rel="modulepreload" href="${f(site, MID).hashedUrl}">\n<link rel="modulepreload" href="${f(site, DYN).hashedUrl}">`,
      }),
    })),
    expect: (o) => [
      ['leaf (attribute only) preloaded and then used by the import: static graph ran', o.res?.leaf === 'leaf-v1'],
      ['dyn (neither) never reached the server', requested(o, o.site[DYN]) === 0],
      ['mid (map integrity) fetched once', requested(o, o.site[MID]) === 1],
    ],
    show,
  },
  {
    id: 'q4.7-report-only',
    title: 'Integrity-Policy-Report-Only: dyn without integrity still loads, a report with reportOnly=true',
    run: (c) => c.runPage(c.browser, ({ site }) => ({ headers: { 'integrity-policy-report-only': 'blocked-destinations=(script)' }, html: page(c, { site, map: c.importMap(site, { omitIntegrity: [DYN] }) }) })),
    expect: (o) => [['graph ran', ranFully(o)], ['report with reportOnly=true', reports(o).some((r) => r.body.reportOnly === true && r.body.blockedURL.endsWith(o.site[DYN]))]],
    show,
  },
  {
    id: 'q4.8-full-syntax-and-endpoint',
    title: 'full header: blocked-destinations=(script), sources=(inline), endpoints=(integrity-endpoint) + Reporting-Endpoints; report POSTed (HTTPS page, own browser with --ignore-certificate-errors --short-reporting-delay)',
    run: async (c) => {
      const profile = c.profileDir();
      const browser = await c.launch({ userDataDir: profile, args: ['--ignore-certificate-errors', '--short-reporting-delay'] });
      try {
        const obs = await c.runPage(browser, ({ site }) => ({
          headers: {
            'integrity-policy': 'blocked-destinations=(script), sources=(inline), endpoints=(integrity-endpoint)',
            'reporting-endpoints': 'integrity-endpoint="/__reports"',
          },
          routes: { '/__reports': { body: '', status: 204 } },
          html: page(c, { site, map: c.importMap(site, { omitIntegrity: [DYN] }) }),
          after: async (_p, server) => {
            const until = Date.now() + 30000;
            while (Date.now() < until && !server.log.some((e) => e.path === '/__reports')) await new Promise((r) => setTimeout(r, 100));
          },
          extra: async (_p, server) => server.log.filter((e) => e.path === '/__reports').map((e) => ({ method: e.method, type: e.headers['content-type'], body: JSON.parse(e.body ?? 'null') })),
        }), { tls: c.selfSignedCert() });
        return obs;
      } finally {
        await browser.close();
        c.rmSync(profile, { recursive: true, force: true });
      }
    },
    expect: (o) => [
      ['dyn blocked', /Failed to fetch dynamically imported module/.test(o.res?.dynError ?? '')],
      ['report POSTed to the endpoint as application/reports+json', o.extra.some((r) => r.method === 'POST' && r.type === 'application/reports+json' && r.body?.some((x) => x.type === 'integrity-violation' && x.body.blockedURL.endsWith(o.site[DYN])))],
    ],
    show: (o) => [...show({ ...o, requests: o.requests.filter((r) => r.path !== '/__reports'), extra: undefined }), ...o.extra.map((r) => `POST ${r.type}: ${JSON.stringify(r.body)}`)],
  },
  {
    id: 'q4.9-syntax-variants',
    title: 'header values that are not a Dictionary of inner lists of tokens are ignored',
    run: async (c) => {
      const out = {};
      for (const v of ['blocked-destinations=script', 'blocked-destinations=(scripts)', 'blocked-destinations=("script")', 'blocked-destinations=(script style)']) {
        const o = await c.runPage(c.browser, ({ site }) => ({ headers: { 'integrity-policy': v }, html: page(c, { site, map: c.importMap(site, { omitIntegrity: [DYN] }) }) }));
        out[v] = o.res?.dyn === 'dyn+util' ? 'dyn loaded (policy not applied)' : 'dyn blocked (policy applied)';
      }
      return { res: null, mods: [], events: [], requests: [], messages: [], failed: [], extra: out };
    },
    expect: (o) => [
      ['blocked-destinations=script (bare token): ignored', o.extra['blocked-destinations=script'].startsWith('dyn loaded')],
      ['(scripts): ignored', o.extra['blocked-destinations=(scripts)'].startsWith('dyn loaded')],
      ['("script") string, not token: ignored', o.extra['blocked-destinations=("script")'].startsWith('dyn loaded')],
      ['(script style): applied', o.extra['blocked-destinations=(script style)'].startsWith('dyn blocked')],
    ],
    show: (o) => Object.entries(o.extra).map(([k, v]) => `Integrity-Policy: ${k} -> ${v}`),
  },
  {
    id: 'q4.10-meta-ignored',
    title: '<meta http-equiv="Integrity-Policy"> is not a thing: only the response header counts',
    run: (c) => c.runPage(c.browser, ({ site }) => ({ html: page(c, { site, map: c.importMap(site, { omitIntegrity: [DYN] }), head: '<meta http-equiv="Integrity-Policy" content="blocked-destinations=(script)">' }) })),
    expect: (o) => [['dyn loaded', ranFully(o)]],
    show,
  },
  {
    id: 'q4.11-style',
    title: 'blocked-destinations=(style): a stylesheet without integrity',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      headers: { 'integrity-policy': 'blocked-destinations=(style)' },
      routes: { '/static/css/a.css': { body: 'body { color: rgb(1, 2, 3); }', headers: { 'content-type': 'text/css' } } },
      html: page(c, { site, map: c.importMap(site), head: '<link rel="stylesheet" href="/static/css/a.css">' }),
      extra: (p) => p.eval('getComputedStyle(document.body).color'),
    })),
    expect: (o) => [['graph ran (scripts not covered)', ranFully(o)]],
    show,
  },
  {
    id: 'q4.12-module-worker',
    title: 'Integrity-Policy (script) and a module worker: destination "worker" is not covered',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      headers: { 'integrity-policy': 'blocked-destinations=(script)' },
      routes: { '/static/w.js': { body: 'postMessage("worker ran");', headers: { 'content-type': c.JS } } },
      html: page(c, { site, map: c.importMap(site), body: `<script nonce="${c.PRELUDE_NONCE}">const w = new Worker("/static/w.js", { type: "module" }); w.onmessage = (e) => (globalThis.__g = e.data); w.onerror = () => (globalThis.__g = "worker error");</script>` }),
    })),
    expect: (o) => [['graph ran', ranFully(o)]],
    show,
  },

  {
    id: 'q4.13-policy-every-tag-has-attribute',
    title: 'Integrity-Policy: entry <script> and modulepreload carry integrity= as well as the map: no report at all',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      headers: { 'integrity-policy': 'blocked-destinations=(script)' },
      html: page(c, {
        site, map: c.importMap(site),
        head: `<link rel="modulepreload" href="${f(site, LEAF).hashedUrl}" integrity="${f(site, LEAF).integrity}">`,
        entryHtml: c.entry(f(site, APP).hashedUrl, ` integrity="${f(site, APP).integrity}"`),
      }),
    })),
    expect: (o) => [['graph ran', ranFully(o)], ['no report', reports(o).length === 0], ['each module fetched once', o.requests.length === 6]],
    show,
  },
  {
    id: 'q4.14-policy-inline-entry',
    title: 'Integrity-Policy: entry as inline `import "/static/js/app.js"` (nothing for the preload scanner): no report',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      headers: { 'integrity-policy': 'blocked-destinations=(script)' },
      html: page(c, { site, map: c.importMap(site), entryHtml: c.inlineModule('import "/static/js/app.js";', ` nonce="${c.PRELUDE_NONCE}"`) }),
    })),
    expect: (o) => [['graph ran', ranFully(o)], ['no report', reports(o).length === 0]],
    show,
  },
  {
    id: 'q4.15-policy-link-header-preload',
    title: 'Integrity-Policy + Link: <leaf>; rel=modulepreload header (no integrity possible there), map has leaf\'s integrity',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      headers: { 'integrity-policy': 'blocked-destinations=(script)', link: `<${f(site, LEAF).hashedUrl}>; rel=modulepreload; crossorigin` },
      html: page(c, { site, map: c.importMap(site), entryHtml: c.entry(f(site, APP).hashedUrl, ` integrity="${f(site, APP).integrity}"`) }),
    })),
    expect: (o) => [
      ['the header preload of leaf is blocked (report) and that fails the whole graph', nothingEvaluated(o) && reports(o).some((r) => r.body.blockedURL.endsWith(o.site[LEAF])) && requested(o, o.site[LEAF]) === 0],
    ],
    show,
  },
  {
    id: 'q4.16-policy-link-header-preload-integrity-param',
    title: 'Integrity-Policy + Link: <leaf>; rel=modulepreload; crossorigin; integrity="sha384-…": allowed, no report',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      headers: { 'integrity-policy': 'blocked-destinations=(script)', link: `<${f(site, LEAF).hashedUrl}>; rel=modulepreload; crossorigin; integrity="${f(site, LEAF).integrity}"` },
      html: page(c, { site, map: c.importMap(site), entryHtml: c.entry(f(site, APP).hashedUrl, ` integrity="${f(site, APP).integrity}"`) }),
    })),
    expect: (o) => [['graph ran', ranFully(o)], ['no report', reports(o).length === 0], ['leaf fetched once', requested(o, o.site[LEAF]) === 1]],
    show,
  },

  // ---------------- 5. CSP ----------------
  ...cspExperiments(),

  // ---------------- 6. modulepreload ----------------
  {
    id: 'q6.1-preload-hashed-with-attr',
    title: 'modulepreload of the hashed URL with integrity attribute + the same integrity in the map: one request, no warning',
    run: (c) => c.runPage(c.browser, ({ site }) => ({ html: page(c, { site, map: c.importMap(site), head: `<link rel="modulepreload" href="${f(site, LEAF).hashedUrl}" integrity="${f(site, LEAF).integrity}">` }) })),
    expect: (o) => [['graph ran', ranFully(o)], ['leaf requested once', requested(o, o.site[LEAF]) === 1], ['no console message', o.messages.length === 0]],
    show,
  },
  {
    id: 'q6.2-preload-unhashed',
    title: 'modulepreload of the unhashed URL: href is not mapped, so a second, useless request',
    run: (c) => c.runPage(c.browser, ({ site }) => ({ html: page(c, { site, map: c.importMap(site, { integrity: false }), head: '<link rel="modulepreload" href="/static/js/lib/leaf.js">' }) })),
    expect: (o) => [['both the unhashed and hashed leaf fetched', requested(o, '/static/js/lib/leaf.js') === 1 && requested(o, o.site[LEAF]) === 1], ['leaf evaluated once (the preload is never evaluated)', o.mods.filter(([n]) => n === 'leaf').length === 1]],
    show,
  },
  {
    id: 'q6.3-preload-attr-right-map-wrong',
    title: 'modulepreload integrity attribute right, map integrity wrong for the same URL: the attribute wins, the import reuses the preloaded module',
    run: (c) => c.runPage(c.browser, ({ site }) => {
      const map = c.importMap(site);
      map.integrity[f(site, LEAF).hashedUrl] = c.sha384(Buffer.from('something else'));
      return { html: page(c, { site, map, head: `<link rel="modulepreload" href="${f(site, LEAF).hashedUrl}" integrity="${f(site, LEAF).integrity}">` }) };
    }),
    expect: (o) => [['graph ran, leaf fetched once', ranFully(o) && requested(o, o.site[LEAF]) === 1]],
    show,
  },
  {
    id: 'q6.4-preload-attr-wrong-map-right',
    title: 'modulepreload integrity attribute wrong, map integrity right: the failed preload fails the whole graph',
    run: (c) => c.runPage(c.browser, ({ site }) => ({ html: page(c, { site, map: c.importMap(site), head: `<link rel="modulepreload" href="${f(site, LEAF).hashedUrl}" integrity="${c.sha384(Buffer.from('something else'))}">` }) })),
    expect: (o) => [['nothing evaluated, leaf fetched once (not retried)', nothingEvaluated(o) && requested(o, o.site[LEAF]) === 1]],
    show,
  },
  {
    id: 'q6.5-preload-before-map',
    title: 'modulepreload (no attribute) placed before the import map, leaf tampered: fetched without integrity, the tampered leaf runs',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      html: c.doc(`<link rel="modulepreload" href="${f(site, LEAF).hashedUrl}">\n${c.mapTag(c.importMap(site))}\n${c.entry(f(site, APP).hashedUrl)}`),
      serve: { override: { [LEAF]: c.tamper(f(site, LEAF).bytes, 'leaf-v1', 'leaf-XX') } },
    })),
    expect: (o) => [['the tampered leaf ran', o.res?.leaf === 'leaf-XX']],
    show,
  },
  {
    id: 'q6.6-link-header-preload-tampered',
    title: 'Link: <leaf>; rel=modulepreload response header (as PreloadLayer sends), leaf tampered, map has its integrity',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      headers: { link: `<${f(site, LEAF).hashedUrl}>; rel=modulepreload; crossorigin` },
      html: page(c, { site, map: c.importMap(site) }),
      serve: { override: { [LEAF]: c.tamper(f(site, LEAF).bytes, 'leaf-v1', 'leaf-XX') } },
    })),
    expect: (o) => [['the tampered leaf ran (the header preload ignores the map)', o.res?.leaf === 'leaf-XX']],
    show,
  },
  {
    id: 'q6.7-link-header-preload-integrity-param',
    title: 'Link header modulepreload with an integrity="…" parameter, leaf tampered',
    run: (c) => c.runPage(c.browser, ({ site }) => ({
      headers: { link: `<${f(site, LEAF).hashedUrl}>; rel=modulepreload; crossorigin; integrity="${f(site, LEAF).integrity}"` },
      html: page(c, { site, map: c.importMap(site) }),
      serve: { override: { [LEAF]: c.tamper(f(site, LEAF).bytes, 'leaf-v1', 'leaf-XX') } },
    })),
    expect: (o) => [['refused', nothingEvaluated(o)]],
    show,
  },
];

function cspExperiments() {
  const N = 'r4nd0m';
  const csp = (c, v) => ({ 'content-security-policy': v });
  const mk = (id, title, policy, opts, expect) => ({
    id, title,
    run: (c) => c.runPage(c.browser, ({ site }) => {
      const map = c.importMap(site);
      const text = opts.crlf ? c.mapText(map).replaceAll('\n', '\r\n') : c.mapText(map);
      const tag = `<script type="importmap"${opts.nonce ? ` nonce="${N}"` : ''}>${text}</script>`;
      const hashText = opts.hashOf ? opts.hashOf(text) : text;
      const pol = policy.replace('HASH', c.cspHash(hashText)).replace('PRELUDE', `'nonce-${c.PRELUDE_NONCE}'`).replace(/NONCE/g, `'nonce-${N}'`);
      const e = c.entry(f(site, APP).hashedUrl, opts.entryNonce ? ` nonce="${N}"` : '');
      return { headers: csp(c, pol), html: c.doc(`${tag}\n${e}`), extra: async () => ({ policy: pol }) };
    }),
    expect,
    show,
  });
  const mapApplied = (o) => ranFully(o) && onlyHashed(o);
  const mapRefused = (o) => o.requests.some((r) => r.kind === 'UNHASHED') && said(o, /^Executing inline script violates the following Content Security Policy directive .* The action has been blocked\.$/);
  return [
    mk('q5.1-nonce', 'CSP script-src \'self\' + nonce; the importmap tag carries nonce=', "script-src 'self' PRELUDE NONCE", { nonce: true },
      (o) => [['map applied', mapApplied(o)]]),
    mk('q5.2-nonce-missing', 'same policy, importmap tag without nonce', "script-src 'self' PRELUDE NONCE", {},
      (o) => [['map refused ("Executing inline script violates … Content Security Policy directive"), modules fetched unhashed', mapRefused(o)]]),
    mk('q5.3-nonce-only-no-self', "script-src with nonces only (no 'self'): the nonced entry's imports inherit its nonce", 'script-src PRELUDE NONCE', { nonce: true, entryNonce: true },
      (o) => [['map applied, static and dynamic imports allowed', mapApplied(o) && o.messages.length === 0]]),
    mk('q5.3b-nonce-only-entry-without-nonce', "script-src with nonces only (no 'self'), entry without nonce", 'script-src PRELUDE NONCE', { nonce: true },
      (o) => [['entry refused', nothingEvaluated(o) && requested(o, o.site[APP]) === 0 && said(o, /violates the following Content Security Policy directive/)]]),
    mk('q5.4-nonce-strict-dynamic', "script-src nonce + 'strict-dynamic': the nonced entry's imports are trusted", "script-src PRELUDE NONCE 'strict-dynamic'", { nonce: true, entryNonce: true },
      (o) => [['map applied', mapApplied(o)]]),
    mk('q5.5-hash', "CSP script-src 'self' 'sha256-…' of the exact text between the tags (leading/trailing newline included)", "script-src 'self' PRELUDE HASH", {},
      (o) => [['map applied', mapApplied(o)]]),
    mk('q5.6-hash-trimmed', 'hash of the trimmed text (whitespace dropped) does not match', "script-src 'self' PRELUDE HASH", { hashOf: (t) => t.trim() },
      (o) => [['map refused', mapRefused(o)]]),
    mk('q5.7-hash-crlf-raw', 'map text written with CRLF; hash over the raw CRLF bytes does not match', "script-src 'self' PRELUDE HASH", { crlf: true },
      (o) => [['map refused', mapRefused(o)]]),
    mk('q5.8-hash-crlf-lf', 'map text written with CRLF; hash over the text with CRLF normalised to LF (what the parser keeps)', "script-src 'self' PRELUDE HASH", { crlf: true, hashOf: (t) => t.replaceAll('\r\n', '\n') },
      (o) => [['map applied', mapApplied(o)]]),
    mk('q5.9-hash-strict-dynamic', "script-src 'sha256-…' 'strict-dynamic' (hash for the map, nonce for the entry)", "script-src PRELUDE NONCE HASH 'strict-dynamic'", { entryNonce: true },
      (o) => [['map applied', mapApplied(o)]]),
  ];
}
