#!/usr/bin/env node
// Import-map experiments in headless Chromium for rcollect issue 22.
//   node lab.mjs              every experiment (about 3 minutes)
//   node lab.mjs q2 q5        only experiments whose id starts with q2 or q5
//   LAB_CHROMIUM_ARGS='--foo' extra Chromium flags for every launch
// Writes out/results.json (every observation) and prints a summary; exits 1 if an
// observation differs from the expectation written next to the experiment.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { launch } from './lib/chromium.mjs';
import { selfSignedCert } from './lib/tls.mjs';
import { startServer } from './lib/server.mjs';
import { buildSite, importMap, serveSite, tamper, sha384, JS, IMMUTABLE } from './lib/site.mjs';
import { SOURCES, EXPECTED_RES } from './lib/sources.mjs';
import { doc, mapTag, mapText, entry, inlineModule, cspHash, HTML, PRELUDE_NONCE } from './lib/page.mjs';
import { EXPERIMENTS } from './experiments.mjs';
import { caching } from './caching.mjs';
import { sourcemaps } from './sourcemaps.mjs';
import { dumpdom } from './dumpdom.mjs';

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('--'));
const wanted = (id) => filters.length === 0 || filters.some((f) => id.startsWith(f));
const here = path.dirname(new URL(import.meta.url).pathname);
mkdirSync(path.join(here, 'out'), { recursive: true });

// What a page did: module results, evaluated modules, events, requests under /static/.
async function observe(page, server, site) {
  const origin = server.origin;
  const strip = (u) => (typeof u === 'string' ? u.replace(origin, '') : u);
  const kind = (p) => {
    for (const f of Object.values(site?.files ?? {})) {
      if (p === encodeURI(f.hashedUrl)) return 'hashed';
      if (p === encodeURI(f.url)) return 'UNHASHED';
    }
    return 'other';
  };
  const requests = server.log.filter((e) => e.path !== '/page' && !e.path.startsWith('/deep/') && e.path !== '/favicon.ico')
    .map((e) => ({ path: decodeURI(e.path), kind: kind(e.path), status: e.status ?? 200, dest: e.headers['sec-fetch-dest'], mode: e.headers['sec-fetch-mode'], method: e.method }));
  return {
    res: await page.eval('globalThis.__res ?? null'),
    mods: ((await page.eval('globalThis.__mods ?? []')) ?? []).map(([n, u]) => [n, decodeURI(strip(u))]),
    globals: await page.eval('globalThis.__g ?? null'),
    events: ((await page.eval('globalThis.__events ?? []')) ?? []).map((e) => ({ ...e, target: strip(e.target) })),
    requests,
    messages: page.messages().map((m) => ({ ...m, text: strip(m.text)?.replaceAll(origin, ''), url: strip(m.url) })),
    failed: page.failedLoads().map((f) => ({ ...f, url: strip(f.url) })),
  };
}

// One page on a fresh server (fresh port, so no experiment sees another's cache).
async function runPage(browser, build, { tls } = {}) {
  const server = await startServer({ tls });
  try {
    const site = buildSite({ ...SOURCES, ...(build.extraSources ?? {}) });
    const spec = build({ site, origin: server.origin, server });
    serveSite(server, site, spec.serve ?? {});
    for (const [p, r] of Object.entries(spec.routes ?? {})) server.set(p, r.body, r.headers ?? {}, r.status ?? 200);
    server.set('/favicon.ico', '', { 'content-type': 'image/x-icon', 'cache-control': 'max-age=3600' });
    const pagePath = spec.pagePath ?? '/page';
    server.set(pagePath, spec.html, { ...HTML, ...(spec.headers ?? {}) });
    const page = await browser.newPage();
    try {
      await page.goto(server.origin + pagePath, { settle: spec.settle ?? 1500 });
      if (spec.after) await spec.after(page, server);
      const obs = await observe(page, server, site);
      if (spec.extra) obs.extra = await spec.extra(page, server);
      obs.site = Object.fromEntries(Object.values(site.files).map((f) => [f.logical, f.hashedUrl]));
      return obs;
    } finally {
      await page.close();
    }
  } finally {
    await server.close();
  }
}

const ctx = { runPage, launch, selfSignedCert, profileDir: () => mkdtempSync(path.join(tmpdir(), 'importmap-lab-')), rmSync, buildSite, importMap, serveSite, tamper, sha384, JS, IMMUTABLE, SOURCES, EXPECTED_RES, doc, mapTag, mapText, entry, inlineModule, cspHash, PRELUDE_NONCE, gzipSync };

const results = { started: new Date().toISOString(), node: process.version, experiments: [] };
let unexpected = 0;
const profile = mkdtempSync(path.join(tmpdir(), 'importmap-lab-'));
const browser = await launch({ userDataDir: profile });
try {
  const v = await browser.version();
  results.chromium = v;
  console.log(`# ${v.product} (${v.revision}) ${v.userAgent}\n# node ${process.version}\n`);
  const all = [...EXPERIMENTS, caching, sourcemaps, dumpdom].filter((e) => wanted(e.id));
  for (const exp of all) {
    let obs;
    let checks;
    try {
      obs = await exp.run({ ...ctx, browser });
      checks = exp.expect(obs);
    } catch (err) {
      obs = { error: String(err.stack ?? err) };
      checks = [['ran without error', false]];
    }
    const bad = checks.filter(([, ok]) => !ok);
    unexpected += bad.length;
    results.experiments.push({ id: exp.id, title: exp.title, checks: checks.map(([what, ok]) => ({ what, ok })), obs });
    console.log(`${bad.length ? 'UNEXPECTED' : 'ok        '} ${exp.id}: ${exp.title}`);
    for (const [what, ok] of checks) console.log(`    ${ok ? '+' : '!'} ${what}`);
    if (exp.show) for (const line of exp.show(obs)) console.log(`    | ${line}`);
    if (obs.error) console.log(`    ${obs.error}`);
  }
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
writeFileSync(path.join(here, 'out', 'results.json'), JSON.stringify(results, null, 2));
console.log(`\n${results.experiments.length} experiments, ${unexpected} unexpected observation(s); details in out/results.json`);
process.exitCode = unexpected ? 1 : 0;
