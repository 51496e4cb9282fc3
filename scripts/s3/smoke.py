#!/usr/bin/env python3
"""Smoke test for an S3-compatible server started by scripts/s3/{moto,swift}.sh.

    . DIR/env && python3 scripts/s3/smoke.py [--keep]

Reads AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION
and RCOLLECT_TEST_S3_BUCKET from the environment and talks to the server with
boto3 the way object_store's AmazonS3 does: path-style addressing, SigV4, no
request checksums (request_checksum_calculation="when_required").

Required checks (exit 1 if one fails):
  PUT with Content-Type, Cache-Control, Content-Encoding and x-amz-meta-sha256;
  HEAD and GET return them; GET returns the bytes; ListObjectsV2 with a prefix
  and MaxKeys=2 over 5 keys pages with continuation tokens and returns exactly
  the 5 keys; DELETE removes the object (HEAD then gives 404).

Reported only (never fail the run): the exact HEAD and GET response headers,
ETag vs MD5, Last-Modified in HEAD vs LIST, PUT with `If-None-Match: *` on a
new and an existing key, metadata key case, Range GET, GET with If-None-Match,
StartAfter and Delimiter listings, x-amz-tagging, DELETE of a missing key, and
PUTs with a right (botocore's default) and a wrong CRC32 request checksum.

All keys are under a fresh `smoke-<time>-<pid>/` prefix and are deleted at the
end unless --keep is given.
"""

import gzip
import hashlib
import os
import re
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

results = []  # (required, ok, name, detail)


def check(name, ok, detail="", required=True):
    results.append((required, bool(ok), name, detail))
    tag = ("PASS" if ok else "FAIL") if required else "INFO"
    print(f"[{tag}] {name}" + (f": {detail}" if detail else ""), flush=True)


def info(name, detail):
    check(name, True, detail, required=False)


def err(e):
    r = e.response
    status, code = r["ResponseMetadata"].get("HTTPStatusCode"), r["Error"].get("Code")
    return f"HTTP {status}" + ("" if str(code) == str(status) else f" {code}")


def main():
    keep = "--keep" in sys.argv[1:]
    env = os.environ
    missing = [k for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                           "RCOLLECT_TEST_S3_BUCKET") if not env.get(k)]
    if missing:
        sys.exit(f"smoke.py: missing env {', '.join(missing)}; run `. DIR/env` first")
    endpoint = env["AWS_ENDPOINT_URL"]
    bucket = env["RCOLLECT_TEST_S3_BUCKET"]
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"

    def client(checksum="when_required"):
        return boto3.client(
            "s3", endpoint_url=endpoint, region_name=region,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          request_checksum_calculation=checksum,
                          response_checksum_validation="when_required",
                          retries={"max_attempts": 1}))

    s3 = client()
    # Keep the raw response (original header case, XML body) of the last call.
    last = {}

    def grab(http_response, model, **_):
        last["headers"] = list(http_response.headers.items())
        last["status"] = http_response.status_code
        last["body"] = None if model.has_streaming_output else http_response.content

    s3.meta.events.register("after-call.s3", grab)

    def raw_headers():
        return "\n".join(f"      {k}: {v}" for k, v in last.get("headers", []))

    print(f"endpoint {endpoint}, bucket {bucket}, region {region}")
    prefix = f"smoke-{int(time.time())}-{os.getpid()}/"
    created = []

    body = gzip.compress(b"body { color: red }\n" * 50, mtime=0)
    sha = hashlib.sha256(body).hexdigest()
    md5 = hashlib.md5(body).hexdigest()
    key = prefix + "app.0123456789ab.css"
    want = {"ContentType": "text/css; charset=utf-8",
            "CacheControl": "public, max-age=31536000, immutable",
            "ContentEncoding": "gzip"}

    # PUT
    t_put = time.time()
    try:
        r = s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata={"sha256": sha}, **want)
        created.append(key)
        check("PUT with Content-Type/Cache-Control/Content-Encoding/x-amz-meta-sha256", True,
              f"ETag {r.get('ETag')}")
        put_etag = r.get("ETag")
    except ClientError as e:
        check("PUT with Content-Type/Cache-Control/Content-Encoding/x-amz-meta-sha256", False, err(e))
        return finish(s3, bucket, created, keep)

    # HEAD
    h = s3.head_object(Bucket=bucket, Key=key)
    print("  HEAD response headers:\n" + raw_headers())
    for k, v in want.items():
        check(f"HEAD {k}", h.get(k) == v, f"{h.get(k)!r}")
    check("HEAD x-amz-meta-sha256", h.get("Metadata", {}).get("sha256") == sha,
          f"Metadata={h.get('Metadata')}")
    check("HEAD Content-Length", h.get("ContentLength") == len(body), str(h.get("ContentLength")))
    same = h.get("ETag") == put_etag == '"' + md5 + '"'
    info("ETag", f"PUT {put_etag}, HEAD {h.get('ETag')}, MD5 of the body {md5}, "
         + ("all equal" if same else "DIFFERENT"))
    hh = {k.lower(): v for k, v in last["headers"]}
    head_lm, head_date = hh.get("last-modified"), hh.get("date")
    lm_delta = h["LastModified"].timestamp() - t_put

    # GET
    g = s3.get_object(Bucket=bucket, Key=key)
    data = g["Body"].read()
    print("  GET response headers:\n" + raw_headers())
    check("GET returns the bytes", data == body, f"{len(data)} bytes")
    for k, v in want.items():
        check(f"GET {k}", g.get(k) == v, f"{g.get(k)!r}")
    check("GET x-amz-meta-sha256", g.get("Metadata", {}).get("sha256") == sha)

    # Range GET, conditional GET (object_store uses both)
    try:
        r = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-9")
        info("GET Range bytes=0-9", f"HTTP {last['status']}, {len(r['Body'].read())} bytes, "
             f"Content-Range {r.get('ContentRange')!r}")
    except ClientError as e:
        info("GET Range bytes=0-9", err(e))
    try:
        s3.get_object(Bucket=bucket, Key=key, IfNoneMatch=h["ETag"])
        info("GET If-None-Match: <etag>", f"HTTP {last['status']} (expected 304)")
    except ClientError as e:
        info("GET If-None-Match: <etag>", err(e))

    # Metadata key case
    mk = prefix + "meta-case"
    try:
        s3.put_object(Bucket=bucket, Key=mk, Body=b"x",
                      Metadata={"Mixed-Case": "Value", "under_score": "v"})
        created.append(mk)
        s3.head_object(Bucket=bucket, Key=mk)
        metas = [f"{k}: {v}" for k, v in last["headers"] if k.lower().startswith("x-amz-meta-")]
        info("metadata keys Mixed-Case, under_score come back as", ", ".join(metas) or "(none)")
    except ClientError as e:
        info("metadata keys Mixed-Case, under_score", err(e))

    # LIST with prefix and pagination
    lp = prefix + "list/"
    keys = [f"{lp}{i}.txt" for i in range(5)]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
        created.append(k)
    other = prefix + "listx"  # shares the string prefix "list" but not "list/"
    s3.put_object(Bucket=bucket, Key=other, Body=b"x")
    created.append(other)
    got, pages, tokens, token, raw_lm = [], 0, [], None, None
    while True:
        kw = {"ContinuationToken": token} if token else {}
        r = s3.list_objects_v2(Bucket=bucket, Prefix=lp, MaxKeys=2, **kw)
        pages += 1
        got += [o["Key"] for o in r.get("Contents", [])]
        if raw_lm is None and last.get("body"):
            m = re.search(rb"<LastModified>([^<]*)</LastModified>", last["body"])
            raw_lm = m.group(1).decode() if m else None
        if not r.get("IsTruncated"):
            break
        token = r.get("NextContinuationToken")
        tokens.append(token)
        if not token or pages > 10:
            break
    check("LIST v2 Prefix, MaxKeys=2 over 5 keys", got == keys and pages == 3,
          f"{pages} pages, keys {[k[len(lp):] for k in got]}, tokens {tokens}")
    r = s3.list_objects_v2(Bucket=bucket, Prefix=lp, StartAfter=keys[2])
    info("LIST v2 StartAfter=<3rd key>", f"keys {[o['Key'][len(lp):] for o in r.get('Contents', [])]}")
    r = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, Delimiter="/")
    info("LIST v2 Delimiter=/",
         f"keys {[o['Key'][len(prefix):] for o in r.get('Contents', [])]}, "
         f"common prefixes {[p['Prefix'][len(prefix):] for p in r.get('CommonPrefixes', [])]}")
    r = s3.list_objects_v2(Bucket=bucket, Prefix=key)
    lo = (r.get("Contents") or [{}])[0]
    info("Last-Modified", f"HEAD {head_lm!r} (its Date {head_date!r}; Last-Modified minus the "
         f"client clock at PUT {lm_delta:+.2f} s), LIST {raw_lm!r} (first key of the paged list)")
    info("LIST entry of the css", f"ETag {lo.get('ETag')}, LastModified {lo.get('LastModified')}, "
         f"Size {lo.get('Size')}, StorageClass {lo.get('StorageClass')}")

    # Conditional PUT, If-None-Match: * (object_store's PutMode::Create)
    ck = prefix + "conditional-new"
    try:
        s3.put_object(Bucket=bucket, Key=ck, Body=b"first", IfNoneMatch="*")
        created.append(ck)
        res = f"HTTP {last['status']}"
    except ClientError as e:
        res = err(e)
    try:
        res += f"; object now holds {s3.get_object(Bucket=bucket, Key=ck)['Body'].read()!r}"
        created.append(ck)
    except ClientError as e:
        res += f"; GET afterwards: {err(e)}"
    info("PUT If-None-Match: * on a new key", res)
    ck = prefix + "conditional-existing"
    s3.put_object(Bucket=bucket, Key=ck, Body=b"first")
    created.append(ck)
    try:
        s3.put_object(Bucket=bucket, Key=ck, Body=b"second", IfNoneMatch="*")
        created.append(ck)
        res = f"HTTP {last['status']} (accepted)"
    except ClientError as e:
        res = err(e)
    try:
        now = s3.get_object(Bucket=bucket, Key=ck)["Body"].read()
        res += f"; object now holds {now!r}"
    except ClientError as e:
        res += f"; GET afterwards: {err(e)}"
    info("PUT If-None-Match: * on an existing key", res)

    # botocore's default request checksum (object_store does not send one)
    xk = prefix + "crc32"
    try:
        client("when_supported").put_object(Bucket=bucket, Key=xk, Body=b"checksummed")
        created.append(xk)
        info("PUT with x-amz-checksum-crc32 (botocore default)", "accepted")
    except ClientError as e:
        info("PUT with x-amz-checksum-crc32 (botocore default)", err(e))

    # Is a request checksum verified? A wrong CRC32 must give 400 BadDigest.
    xk = prefix + "bad-crc32"
    try:
        s3.put_object(Bucket=bucket, Key=xk, Body=b"checksummed", ChecksumCRC32="AAAAAA==")
        created.append(xk)
        info("PUT with a wrong x-amz-checksum-crc32", f"HTTP {last['status']} (accepted, not verified)")
    except ClientError as e:
        info("PUT with a wrong x-amz-checksum-crc32", err(e))

    # x-amz-tagging (object_store sends it when a put has tags)
    tk = prefix + "tagged"
    try:
        s3.put_object(Bucket=bucket, Key=tk, Body=b"t", Tagging="k=v")
        created.append(tk)
        info("PUT with x-amz-tagging", f"HTTP {last['status']}")
    except ClientError as e:
        info("PUT with x-amz-tagging", err(e))

    # DELETE
    s3.delete_object(Bucket=bucket, Key=key)
    dstatus = last["status"]
    try:
        s3.head_object(Bucket=bucket, Key=key)
        check("DELETE, then HEAD is 404", False, f"DELETE HTTP {dstatus}, object still there")
    except ClientError as e:
        check("DELETE, then HEAD is 404", e.response["Error"]["Code"] in ("404", "NoSuchKey"),
              f"DELETE HTTP {dstatus}, HEAD {err(e)}")
    created.remove(key)
    try:
        s3.delete_object(Bucket=bucket, Key=prefix + "never-existed")
        info("DELETE of a missing key", f"HTTP {last['status']}")
    except ClientError as e:
        info("DELETE of a missing key", err(e))

    return finish(s3, bucket, created, keep)


def finish(s3, bucket, created, keep):
    if not keep:
        for k in sorted(set(created)):
            try:
                s3.delete_object(Bucket=bucket, Key=k)
            except ClientError as e:
                print(f"cleanup: deleting {k}: {err(e)}", file=sys.stderr)
    failed = [n for req, ok, n, _ in results if req and not ok]
    print(f"{sum(1 for r in results if r[0]) - len(failed)} required checks passed, "
          f"{len(failed)} failed" + (f": {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
