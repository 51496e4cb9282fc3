#!/usr/bin/env python3
"""bench/dictionary-overlaps.py STATIC_ROOT [--list]

Counts the `Use-As-Dictionary` patterns of a collected root that match another
file's hashed name (RELIABILITY.md, "Use-As-Dictionary overlaps").

The middleware sends `match="<dir>/<stem>.:hash.<ext>"` for a hashed name
`<dir>/<stem>.<12 hex>.<ext>` (tower-rcollect `source::dictionary`): `:hash`
takes one or more characters other than `/`, so the pattern of `app.js` also
matches a dotted sibling such as `app.min.<hash>.js`, and a browser holding
`app.<old>.js` may offer it as the dictionary for `app.min.<new>.js`. No wrong
bytes follow (the server sends a delta only against the exact dictionary it
has), but the delta is lost. RFC 9842 forbids regexp groups in `match`, so a
pattern cannot require 12 hex digits: these overlaps are what remains.

Prints the number of patterns, how many match another file, and the number of
(pattern, other file) pairs; `--list` prints each pair.
"""
import json
import re
import sys

HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<ext>(\.[^./]*)?)$")


def pattern(logical, hashed):
    """(dir, prefix, suffix) of the match pattern, or None (no pattern)."""
    ldir, _, lfile = logical.rpartition("/")
    hdir, _, hfile = hashed.rpartition("/")
    m = HASHED.match(hfile)
    if hdir != ldir or not m or m["stem"] + m["ext"] != lfile:
        return None
    return hdir, m["stem"] + ".", m["ext"]


def main(args):
    if not args:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    with open(f"{args[0]}/staticfiles.json", encoding="utf-8") as f:
        paths = json.load(f)["paths"]
    names = {}
    for logical, hashed in paths.items():
        d, _, f = hashed.rpartition("/")
        names.setdefault(d, []).append((f, logical))
    patterns = overlapping = pairs = 0
    for logical, hashed in sorted(paths.items()):
        p = pattern(logical, hashed)
        if p is None:
            continue
        patterns += 1
        d, prefix, suffix = p
        hits = [
            other
            for f, other in names.get(d, [])
            if other != logical
            and f.startswith(prefix)
            and f.endswith(suffix)
            and len(f) > len(prefix) + len(suffix)
        ]
        if hits:
            overlapping += 1
            pairs += len(hits)
            if "--list" in args:
                for other in hits:
                    print(f"{logical} -> {other}")
    print(f"patterns: {patterns}, matching another file: {overlapping}, pairs: {pairs}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
