// A tiny static HTTP server on loopback (node's stdlib only): a route table the
// experiments fill in, and a log of every request with the headers that matter.
import http from 'node:http';
import https from 'node:https';

const LOGGED = [
  'accept', 'accept-encoding', 'cache-control', 'cookie', 'if-none-match', 'if-modified-since',
  'origin', 'pragma', 'referer', 'sec-fetch-dest', 'sec-fetch-mode', 'sec-fetch-site', 'sec-purpose',
  'x-sourcemap-token', 'content-type',
];

// `tls: {key, cert}` (PEM) serves HTTPS instead of HTTP.
export async function startServer({ port = 0, tls } = {}) {
  const routes = new Map(); // pathname -> {status, headers, body} | (req, res, entry) => void
  const log = [];
  const sockets = new Set();
  const handler = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      const headers = {};
      for (const h of LOGGED) if (req.headers[h] !== undefined) headers[h] = req.headers[h];
      const entry = { method: req.method, path: url.pathname, search: url.search, headers, allHeaders: req.headers };
      if (chunks.length) entry.body = Buffer.concat(chunks).toString('utf8');
      log.push(entry);
      const r = routes.get(url.pathname);
      if (r === undefined) {
        entry.status = 404;
        res.writeHead(404, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
        res.end('not found');
        return;
      }
      if (typeof r === 'function') {
        r(req, res, entry);
        return;
      }
      entry.status = r.status ?? 200;
      res.writeHead(entry.status, { ...r.headers, 'content-length': String(r.body.length) });
      res.end(req.method === 'HEAD' ? undefined : r.body);
    });
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${server.address().port}`;
  return {
    origin,
    routes,
    log,
    set(path, body, headers = {}, status = 200) {
      routes.set(path, { status, headers, body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8') });
    },
    clearLog() { log.length = 0; },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
