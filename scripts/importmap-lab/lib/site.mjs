// A miniature "collected" STATIC_ROOT: each source gets rcollect's hashed name
// (first 12 hex digits of the SHA-256 before the last extension, like
// rcollect_core::hash::hashed_name), its SRI sha384, and the import map that
// `[js] linking = "importmap"` would write. In "rewrite" mode the specifiers are
// rewritten to hashed names instead (today's linking), so hashes cascade up.
import { createHash } from 'node:crypto';
import path from 'node:path/posix';

export const PREFIX = '/static/';
export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const UNHASHED = 'public, max-age=60';
export const JS = 'text/javascript; charset=utf-8';

export const sha384 = (buf) => `sha384-${createHash('sha384').update(buf).digest('base64')}`;
export const sha256b64 = (buf) => createHash('sha256').update(buf).digest('base64');
const hash12 = (buf) => createHash('sha256').update(buf).digest('hex').slice(0, 12);

export function hashedName(logical, hash) {
  const slash = logical.lastIndexOf('/');
  const dir = logical.slice(0, slash + 1);
  const name = logical.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${dir}${name.slice(0, dot)}.${hash}${name.slice(dot)}` : `${dir}${name}.${hash}`;
}

// Relative specifiers in our own sources: `from "./x.js"`, `import "./x.js"`, `import("./x.js")`.
const SPEC = /((?:from|import)\s*\(?\s*)"(\.{1,2}\/[^"]+)"/g;

export function buildSite(sources, { rewrite = false } = {}) {
  const files = {};
  const deps = (logical) => [...sources[logical].matchAll(SPEC)].map((m) => path.join(path.dirname(logical), m[2]));
  const visit = (logical, stack = []) => {
    if (files[logical]) return files[logical];
    if (stack.includes(logical)) throw new Error(`cycle at ${logical}`);
    let text = sources[logical];
    if (text === undefined) throw new Error(`no source ${logical}`);
    for (const d of deps(logical)) if (sources[d] !== undefined) visit(d, [...stack, logical]);
    if (rewrite) {
      text = text.replace(SPEC, (all, pre, spec) => {
        const target = files[path.join(path.dirname(logical), spec)];
        if (!target) return all;
        return `${pre}"${path.dirname(spec)}/${path.basename(target.hashedLogical)}"`;
      });
    }
    const bytes = Buffer.from(text, 'utf8');
    const hashedLogical = hashedName(logical, hash12(bytes));
    files[logical] = {
      logical, text, bytes, hashedLogical,
      url: PREFIX + logical, hashedUrl: PREFIX + hashedLogical, integrity: sha384(bytes),
    };
    return files[logical];
  };
  for (const logical of Object.keys(sources)) visit(logical);
  return { files, rewrite };
}

// The map collect would write: "imports" unhashed URL -> hashed URL, "integrity" hashed URL -> sha384.
// keys: 'path' (/static/...), 'origin' (http://host:port/static/...), 'relative' (./static/...), 'bare' (static/...)
export function importMap(site, { keys = 'path', origin = '', integrity = true, omitImports = [], omitIntegrity = [], integrityKeys } = {}) {
  const k = (u) => ({ path: u, origin: origin + u, relative: `.${u}`, bare: u.slice(1) }[keys]);
  const imports = {};
  const integ = {};
  for (const f of Object.values(site.files)) {
    if (!omitImports.includes(f.logical)) imports[k(f.url)] = f.hashedUrl;
    if (integrity && !omitIntegrity.includes(f.logical)) integ[(integrityKeys === 'unhashed' ? k(f.url) : k(f.hashedUrl))] = f.integrity;
  }
  return integrity ? { imports, integrity: integ } : { imports };
}

// Serve every file under its hashed URL (immutable) and its unhashed URL (short cache), as
// rcollect's middleware does (routes by the percent-encoded path, as it arrives); `override` replaces the bytes served at a hashed URL.
export function serveSite(server, site, { override = {}, headers = {} } = {}) {
  for (const f of Object.values(site.files)) {
    const extra = headers[f.logical] ?? {};
    server.set(encodeURI(f.hashedUrl), override[f.logical] ?? f.bytes, { 'content-type': JS, 'cache-control': IMMUTABLE, ...extra });
    server.set(encodeURI(f.url), f.bytes, { 'content-type': JS, 'cache-control': UNHASHED, ...extra });
  }
}

// Same length, different bytes: what "a module altered on disk (same size)" looks like.
export function tamper(bytes, from, to) {
  if (from.length !== to.length) throw new Error('tamper must keep the size');
  const s = bytes.toString('utf8');
  if (!s.includes(from)) throw new Error(`tamper: ${from} not found`);
  const out = Buffer.from(s.replace(from, to), 'utf8');
  if (out.length !== bytes.length) throw new Error('size changed');
  return out;
}
