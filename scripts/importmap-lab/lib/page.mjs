// HTML pieces for the experiment pages.
import { createHash } from 'node:crypto';

// A classic script first in <head>: records error events (capture phase, so a
// failed <script>/<link> is seen), unhandled rejections and Reporting API reports.
export const PRELUDE_NONCE = 'prelude';
export const PRELUDE = `<script nonce="${PRELUDE_NONCE}">
globalThis.__events = [];
addEventListener("error", (e) => __events.push({ type: "error", target: e.target === window ? "window" : (e.target.getAttribute("src") || e.target.getAttribute("href") || e.target.tagName), message: e.message }), true);
addEventListener("unhandledrejection", (e) => __events.push({ type: "unhandledrejection", reason: String(e.reason) }));
if (globalThis.ReportingObserver) new ReportingObserver((rs) => { for (const r of rs) __events.push({ type: "report", report: r.toJSON() }); }, { buffered: true }).observe();
</script>`;

// The text between the tags is what CSP hashes: keep it exactly as written here.
export function mapText(map) { return `\n${JSON.stringify(map, null, 2)}\n`; }
export function mapTag(map, attrs = '') { return `<script type="importmap"${attrs}>${mapText(map)}</script>`; }
export const entry = (src, attrs = '') => `<script type="module" src="${src}"${attrs}></script>`;
export const inlineModule = (code, attrs = '') => `<script type="module"${attrs}>${code}</script>`;
export const doc = (head, body = '') => `<!doctype html>\n<html><head><meta charset="utf-8">\n${PRELUDE}\n${head}\n</head><body>${body}</body></html>\n`;
export const cspHash = (text) => `'sha256-${createHash('sha256').update(Buffer.from(text, 'utf8')).digest('base64')}'`;
export const HTML = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' };
