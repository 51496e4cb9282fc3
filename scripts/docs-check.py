#!/usr/bin/env python3
"""Checks that the README's code blocks and the deploy cookbook are true.

Every fenced block in README.md carries an HTML comment on the line before it
that says how it is checked:

  <!-- run -->              each command line runs from the repository root with
                            `rcollect` on PATH (target/debug); the test command
                            itself must be the one .ci/run runs
  <!-- in: PATH -->         the block's lines are, in order, in consecutive lines
                            of PATH (an example or test file the tests run)
  <!-- check: dependency --> a [dependencies] entry for tower-rcollect and/or a
                            [build-dependencies] entry for rcollect-build, whose
                            version and features the crate has
  <!-- not run: REASON -->  not checked, with the reason (e.g. needs crates.io)

A block without one fails. Then the cookbook (docs/cookbook/): hadolint on the
Dockerfile, the Actions schema on the workflow (both when installed: with
RCOLLECT_REQUIRE_LINTERS=1 a missing one fails, otherwise it is reported as
SKIPPED), and the `rcollect` commands of both run on a copy of fixtures/.

Usage: scripts/docs-check.py (after `cargo build -p rcollect`).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "debug")
failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL {msg}")


def ok(msg):
    print(f"ok   {msg}")


def env_with_rcollect(home=None):
    """PATH with target/debug first; HOME (the compression cache) in `home`."""
    env = dict(os.environ)
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    real = os.path.expanduser("~")
    env.setdefault("RUSTUP_HOME", os.path.join(real, ".rustup"))
    env.setdefault("CARGO_HOME", os.path.join(real, ".cargo"))
    if home:
        env["HOME"] = home
    env.pop("RCOLLECT_DEBUG", None)
    return env


def blocks(text):
    """(line number, annotation, info string, lines) for each fenced block."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\S*)", lines[i])
        if not m:
            i += 1
            continue
        start, info = i, m.group(1)
        annotation = None
        j = i - 1
        while j >= 0 and lines[j].strip() == "":
            j -= 1
        if j >= 0:
            a = re.match(r"^<!--\s*(.*?)\s*-->$", lines[j].strip())
            if a:
                annotation = a.group(1)
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        yield start + 1, annotation, info, body


def check_in(where, path, body):
    try:
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            file_lines = [l.strip() for l in f.read().split("\n")]
    except OSError as e:
        return fail(f"{where}: {path}: {e}")
    want = [l.strip() for l in body if l.strip()]
    for k in range(len(file_lines)):
        window = [l for l in file_lines[k:] if l][: len(want)]
        if len(window) == len(want) and all(w in f for w, f in zip(want, window)):
            return ok(f"{where}: block is in {path}")
    fail(f"{where}: block not found (in order, consecutive lines) in {path}")


def check_dependency(where, body):
    """A tower-rcollect entry under [dependencies] and/or an rcollect-build
    one under [build-dependencies]: versions and features the crates have."""
    with open(os.path.join(ROOT, "Cargo.toml"), "rb") as f:
        version = tomllib.load(f)["workspace"]["package"]["version"]
    toml = tomllib.loads("\n".join(body))
    entries = [
        (toml.get("dependencies", {}).get("tower-rcollect"), "tower-rcollect"),
        (toml.get("build-dependencies", {}).get("rcollect-build"), "rcollect-build"),
    ]
    entries = [(dep, name) for dep, name in entries if dep is not None]
    if not entries:
        return fail(f"{where}: no tower-rcollect under [dependencies] nor rcollect-build under [build-dependencies]")
    for dep, name in entries:
        if isinstance(dep, str):
            dep = {"version": dep}
        if not isinstance(dep, dict):
            return fail(f"{where}: {name}: not a version or a table")
        with open(os.path.join(ROOT, "crates", name, "Cargo.toml"), "rb") as f:
            crate = tomllib.load(f)
        req = dep.get("version", "")
        if not version.startswith(req.lstrip("^=")):
            fail(f"{where}: {name} version '{req}' does not match the crate's {version}")
        missing = [x for x in dep.get("features", []) if x not in crate.get("features", {})]
        if missing:
            return fail(f"{where}: {name} has no feature {missing}")
        ok(f"{where}: dependency line matches {name} {version}")


def run(where, cmd, cwd, env):
    p = subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        return fail(f"{where}: `{cmd}` exited {p.returncode}:\n{p.stdout}{p.stderr}")
    ok(f"{where}: `{cmd}`")
    return p


def check_readme(home):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    with open(os.path.join(ROOT, ".ci/run"), encoding="utf-8") as f:
        ci = f.read()
    for line, annotation, info, body in blocks(text):
        where = f"README.md:{line} ({info or 'text'})"
        if annotation is None:
            fail(f"{where}: no <!-- run | in: PATH | check: dependency | not run: REASON --> annotation")
        elif annotation == "run":
            for cmd in body:
                cmd = cmd.strip()
                if not cmd or cmd.startswith("#"):
                    continue
                if cmd.startswith("cargo test"):
                    if cmd in ci:
                        ok(f"{where}: `{cmd}` is what .ci/run runs")
                    else:
                        fail(f"{where}: `{cmd}` is not the test command of .ci/run")
                    continue
                run(where, cmd, ROOT, env_with_rcollect())
        elif annotation.startswith("in:"):
            check_in(where, annotation[3:].strip(), body)
        elif annotation == "check: dependency":
            check_dependency(where, body)
        elif annotation.startswith("not run:") and annotation[8:].strip():
            print(f"not run {where}: {annotation[8:].strip()}")
        else:
            fail(f"{where}: unknown annotation '{annotation}'")


def linter(name, argv):
    """Runs a linter if installed; a missing one is SKIPPED unless required."""
    if shutil.which(argv[0]) is None:
        if os.environ.get("RCOLLECT_REQUIRE_LINTERS") == "1":
            return fail(f"{name}: {argv[0]} is not installed")
        return print(f"SKIPPED {name}: {argv[0]} is not installed")
    p = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        return fail(f"{name}: {' '.join(argv)}:\n{p.stdout}{p.stderr}")
    ok(f"{name}: {' '.join(argv)}")


def dockerfile_commands(path):
    """The rcollect commands of the Dockerfile's RUN instructions."""
    with open(path, encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    for line in text.split("\n"):
        if not line.startswith("RUN "):
            continue
        words = [w for w in shlex.split(line[4:]) if not w.startswith("--mount=")]
        for cmd in " ".join(shlex.quote(w) for w in words).split(" '&&' "):
            if cmd.startswith("rcollect "):
                yield cmd


def workflow_commands(path):
    import yaml

    with open(path, encoding="utf-8") as f:
        wf = yaml.safe_load(f)
    for job in wf["jobs"].values():
        for step in job["steps"]:
            if step.get("run", "").startswith("rcollect "):
                yield step["run"].strip()


def check_release(path):
    """The release workflow packs what the crate's binstall metadata names."""
    import yaml

    with open(path, encoding="utf-8") as f:
        text = f.read()
    wf = yaml.safe_load(text)
    with open(os.path.join(ROOT, "crates", "rcollect", "Cargo.toml"), encoding="utf-8") as f:
        cargo = f.read()
    for want, where in [
        ("rcollect-{ target }.tar.gz", cargo),
        ("rcollect-{ target }/{ bin }", cargo),
        ('dir=rcollect-${{ matrix.target }}', text),
        ('tar czf "$dir.tar.gz" "$dir"', text),
    ]:
        if want not in where:
            fail(f"release.yml / binstall metadata: `{want}` not found")
    if "binaries" not in wf.get("jobs", {}):
        fail("release.yml: no `binaries` job")


def check_cookbook(home):
    book = os.path.join(ROOT, "docs", "cookbook")
    linter("Dockerfile", ["hadolint", os.path.join(book, "Dockerfile")])
    linter("Actions workflow", ["action-validator", os.path.join(book, "github-actions.yml")])
    linter("Actions workflow", ["action-validator", os.path.join(book, "release.yml")])
    check_release(os.path.join(book, "release.yml"))
    for name, cmds in [
        ("Dockerfile", list(dockerfile_commands(os.path.join(book, "Dockerfile")))),
        ("github-actions.yml", list(workflow_commands(os.path.join(book, "github-actions.yml")))),
    ]:
        if not cmds:
            fail(f"{name}: no rcollect commands found")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            project = os.path.join(tmp, "app")
            shutil.copytree(
                os.path.join(ROOT, "fixtures"),
                project,
                # fixtures/bundlers (the bundler tests' npm project, with its
                # node_modules and builds once scripts/bundlers.sh ran) is not
                # part of the example project.
                ignore=shutil.ignore_patterns("staticfiles", ".rcollect-staging", "bundlers"),
            )
            for cmd in cmds:
                p = run(f"docs/cookbook/{name}", cmd, project, env_with_rcollect(home))
                if p and "--format github" in cmd:
                    bad = [l for l in p.stdout.splitlines() if l and not l.startswith("::")]
                    if bad:
                        fail(f"{name}: `{cmd}` printed non-annotation lines: {bad}")
            if not os.path.isfile(os.path.join(project, "staticfiles", "staticfiles.json")):
                fail(f"{name}: no staticfiles/staticfiles.json after its commands")


def main():
    if not os.path.isfile(os.path.join(BIN, "rcollect")):
        sys.exit(f"{BIN}/rcollect not built: run `cargo build -p rcollect` first")
    with tempfile.TemporaryDirectory() as home:
        check_readme(home)
        check_cookbook(home)
    if failures:
        sys.exit(f"{len(failures)} documentation check(s) failed")
    print("documentation checks passed")


if __name__ == "__main__":
    main()
