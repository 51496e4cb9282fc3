#!/usr/bin/env python3
"""Reports import cycles between the top-level modules of each library crate.

A module's file (or directory) refers to another when it names
`crate::other` (in a `use` or a path; comments, doc links included, do not count). Submodules count as their top-level
module; `#[cfg(test)] mod tests` blocks and `tests.rs`/`fuzzing.rs` (test
helpers) are left out. Exits 1 and prints each cycle when there is one.
Usage: scripts/module-cycles.py [crates/NAME/src ...]
"""
import pathlib
import re
import sys

def top_module(src, path):
    rel = path.relative_to(src).parts
    name = rel[0]
    return name[:-3] if name.endswith(".rs") else name

def strip_tests(text):
    m = re.search(r"#\[cfg\((?:all\()?test\b[^\n]*\]\nmod tests", text)
    return text if m is None else text[:m.start()]

def graph(src):
    edges = {}
    for path in sorted(src.rglob("*.rs")):
        mod = top_module(src, path)
        if mod in ("lib", "main", "tests", "fuzzing"):
            continue
        text = re.sub(r"//[^\n]*", "", strip_tests(path.read_text()))
        refs = set(re.findall(r"\bcrate::([a-z_][a-z0-9_]*)", text))
        for group in re.findall(r"\buse crate::\{([^}]*)\}", text):
            refs |= set(re.findall(r"\b([a-z_][a-z0-9_]*)::", group))
        edges.setdefault(mod, set()).update(r for r in refs if r != mod)
    return edges

def cycles(edges):
    found, state, stack = [], {}, []
    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if m not in edges:
                continue
            if state.get(m) == 1:
                found.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2
    for n in sorted(edges):
        if n not in state:
            visit(n)
    return found

def main(args):
    roots = [pathlib.Path(a) for a in args] or sorted(
        p for p in pathlib.Path("crates").glob("*/src") if (p / "lib.rs").exists())
    bad = 0
    for src in roots:
        for c in cycles(graph(src)):
            print(f"{src}: import cycle: {' -> '.join(c)}")
            bad += 1
    print(f"module-cycles: {bad} cycle(s) in {len(roots)} crate(s)")
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
