#!/usr/bin/env python3
"""bench/relay.py LISTEN TARGET WAIT LOG: a byte-counting HTTP/1.1 relay for the
Chromium benches (bench/vite.sh, bench/importmap.sh).

The relay: 127.0.0.1:RELAY -> 127.0.0.1:SERVER, bytes passed on as they
come; it parses the HTTP/1.1 exchanges on each connection (Chromium speaks
HTTP/1.1 to a clear-text origin) and writes one JSON line per response:
request method, path and Available-Dictionary (present or not), status,
Content-Encoding, head and body bytes as sent (chunked framing counted in
the body). It also answers GET /wait on WAIT with 204 after 2 s: the v1
page waits on it so that Chromium has time to store its dictionaries (a
pending request holds Chromium's virtual time).
"""
import asyncio, collections, itertools, json, sys
LISTEN, TARGET, WAIT, LOG = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
out = open(LOG, "a", buffering=1)
ids = itertools.count(1)

def parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k.strip().lower()] = v.strip()
    return lines[0], fields

class Requests:
    """Request heads of one connection (GETs: no bodies)."""
    def __init__(self):
        self.buf, self.pending, self.skip = b"", collections.deque(), 0
    def feed(self, data):
        self.buf += data
        while True:
            if self.skip:
                n = min(self.skip, len(self.buf)); self.buf, self.skip = self.buf[n:], self.skip - n
                if self.skip:
                    return
            i = self.buf.find(b"\r\n\r\n")
            if i < 0:
                return
            head, self.buf = self.buf[:i], self.buf[i + 4:]
            first, f = parse_head(head)
            parts = first.split(" ")
            self.pending.append({"method": parts[0], "path": parts[1] if len(parts) > 1 else "",
                                 "available_dictionary": "available-dictionary" in f,
                                 "accept_encoding": f.get("accept-encoding", "")})
            self.skip = int(f.get("content-length", "0") or 0)

class Responses:
    """Responses of one connection, matched with its requests in order."""
    def __init__(self, conn, requests):
        self.conn, self.requests, self.buf = conn, requests, b""
        self.state, self.rec, self.left = "head", None, 0
    def done(self):
        self.rec["t"] = round(asyncio.get_running_loop().time(), 3)
        out.write(json.dumps(self.rec) + "\n")
        self.state, self.rec = "head", None
    def feed(self, data):
        self.buf += data
        while self.buf:
            if self.state == "head":
                i = self.buf.find(b"\r\n\r\n")
                if i < 0:
                    return
                head, self.buf = self.buf[:i + 4], self.buf[i + 4:]
                first, f = parse_head(head[:-4])
                status = int(first.split(" ")[1])
                if 100 <= status < 200:
                    out.write(json.dumps({"conn": self.conn, "interim": status, "head": len(head)}) + "\n")
                    continue
                req = self.requests.pending.popleft() if self.requests.pending else {"method": "?", "path": "?"}
                self.rec = dict(req, conn=self.conn, status=status, encoding=f.get("content-encoding", ""),
                                cache_control=f.get("cache-control", ""), dictionary=f.get("use-as-dictionary", ""),
                                head=len(head), body=0)
                if req["method"] == "HEAD" or status in (204, 304):
                    self.done()
                elif "chunked" in f.get("transfer-encoding", ""):
                    self.state = "chunk-size"
                elif "content-length" in f:
                    self.left = int(f["content-length"])
                    self.state = "body"
                    if self.left == 0:
                        self.done()
                else:
                    self.state = "until-close"
            elif self.state == "body":
                n = min(self.left, len(self.buf))
                self.rec["body"] += n; self.buf = self.buf[n:]; self.left -= n
                if self.left == 0:
                    self.done()
            elif self.state == "until-close":
                self.rec["body"] += len(self.buf); self.buf = b""
            elif self.state in ("chunk-size", "trailer"):
                i = self.buf.find(b"\r\n")
                if i < 0:
                    return
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                self.rec["body"] += i + 2
                if self.state == "trailer":
                    if not line:
                        self.done()
                    continue
                size = int(line.split(b";")[0], 16)
                self.state, self.left = ("trailer", 0) if size == 0 else ("chunk-data", size + 2)
            elif self.state == "chunk-data":
                n = min(self.left, len(self.buf))
                self.rec["body"] += n; self.buf = self.buf[n:]; self.left -= n
                if self.left == 0:
                    self.state = "chunk-size"
    def close(self):
        if self.rec is not None:
            self.rec["incomplete"] = self.state != "until-close"
            self.done()

async def pump(reader, writer, parser):
    try:
        while data := await reader.read(65536):
            parser.feed(data)
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    try:
        writer.write_eof()
    except OSError:
        pass

async def relay(client_r, client_w):
    conn = next(ids)
    server_r, server_w = await asyncio.open_connection("127.0.0.1", TARGET)
    requests = Requests()
    responses = Responses(conn, requests)
    await asyncio.gather(pump(client_r, server_w, requests), pump(server_r, client_w, responses),
                         return_exceptions=True)
    responses.close()
    for w in (client_w, server_w):
        w.close()

async def wait(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    await asyncio.sleep(2)
    writer.write(b"HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n")
    await writer.drain()
    writer.close()

async def main():
    a = await asyncio.start_server(relay, "127.0.0.1", LISTEN)
    b = await asyncio.start_server(wait, "127.0.0.1", WAIT)
    print("relaying", flush=True)
    async with a, b:
        await asyncio.gather(a.serve_forever(), b.serve_forever())

asyncio.run(main())
