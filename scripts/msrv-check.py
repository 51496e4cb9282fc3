#!/usr/bin/env python3
"""MSRV check without a second toolchain (this machine has one, and CI cannot
fetch another): every package a user builds (the workspace crates and their
normal and build dependencies, all features) must declare a `rust-version`
no newer than the workspace's. Our own code is held to it by clippy's
`incompatible_msrv` lint (std APIs newer than `rust-version`), which
`cargo clippy -D warnings` in .ci/run enforces.

Usage: scripts/msrv-check.py
"""

import json
import subprocess
import sys
import tomllib


def version(v):
    return tuple(int(x) for x in v.split(".")[:3]) + (0,) * (3 - len(v.split(".")))


with open("Cargo.toml", "rb") as f:
    msrv = tomllib.load(f)["workspace"]["package"]["rust-version"]
meta = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--all-features"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
)
packages = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
# Walk normal and build edges from the workspace members.
seen, stack = set(), list(meta["workspace_members"])
while stack:
    pid = stack.pop()
    if pid in seen:
        continue
    seen.add(pid)
    for dep in nodes[pid]["deps"]:
        kinds = {k["kind"] for k in dep["dep_kinds"]}
        if kinds & {None, "build"}:
            stack.append(dep["pkg"])
too_new = []
for pid in sorted(seen, key=lambda i: packages[i]["name"]):
    p = packages[pid]
    rv = p.get("rust_version")
    if rv and version(rv) > version(msrv):
        too_new.append(f"{p['name']} {p['version']} needs Rust {rv}")
print(f"MSRV {msrv}: {len(seen)} packages checked")
if too_new:
    sys.exit("newer than the MSRV:\n  " + "\n  ".join(too_new))
