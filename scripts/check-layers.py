#!/usr/bin/env python3
"""check-layers.py -- checks that rill's #includes respect its layers.

The layers, lowest first (each folder under src/ is one layer):

    util -> record -> core -> {split, io, state, dist} -> cli

A file may include headers of its own layer and of the layers below it, and
the public headers (include/rill.h, include/rill/*.h, include/rill/sys/*.h);
never a header of a layer above its own. split, io, state and dist are
siblings of one layer: they are not above each other, so a sibling include is
allowed, but each one is listed as a warning so it stays visible.

Three kinds of file may include ONLY public headers (and system headers):
  - the public headers themselves (include/),
  - src/cli/ (the command line is built on the public API only),
  - examples/.
Each may also include headers of its own layer (cli's own, the examples').
tests/, bench/, fuzz/ and tools/ are outside the layering and not checked.

An include is resolved as the compiler would: "x.h" first beside the including
file, then in include/, then in src/ (both are include paths of the library);
<x.h> in include/, then src/, else it is a system header and ignored. So
"../core/run.h", "run.h" (same folder), "rill/x.h", "core/run.h" and
<rill.h> all resolve. Includes inside comments are ignored.

Output: each violation as
    FILE:LINE: LAYER includes HEADER of layer ABOVE
(with " (only public headers allowed)" appended where the rule broken is the
public-only one), a folder under src/ that is not in LAYERS as an error, and
exit 1 if there is any. Otherwise exit 0 and a one-line summary.

The allowlist (default scripts/layers-allow.txt under the root, when present)
holds violations that are known and being removed, one per line, written as
the violation is printed; a line number in it is ignored, since edits move it:
    src/core/run.c: core includes src/dist/dist.h of layer dist
It matches every include of that header by that file. An allowlisted
violation is printed as "allowed: ..." and does not fail the check; an
allowlist line that matches no violation fails it ("stale allowance"), so the
list can only shrink. Lines starting with # and blank lines are ignored.

Usage:
    scripts/check-layers.py [--root DIR] [--allow FILE]
    scripts/check-layers.py --allow /dev/null     # every violation, none allowed
Exit status: 0 clean, 1 violations, errors or stale allowances, 2 bad usage.
"""

import argparse
import os
import re
import sys

# Rank of each layer folder under src/: a file may include from ranks <= its own.
LAYERS = {
    "util": 0,
    "record": 1,
    "core": 2,
    "split": 3, "io": 3, "state": 3, "dist": 3,
    "cli": 4,
}
PUBLIC_ONLY = {"public", "cli", "examples"}   # may include public headers only
CHECKED_DIRS = ("src", "include", "examples")  # everything else is outside
SOURCE_EXT = (".c", ".h")

INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]')


def strip_comments(text):
    """Blank out C comments, keeping newlines (so line numbers hold) and
    string and character literals (so "dir/*" does not open a comment)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("".join("\n" if ch == "\n" else " " for ch in text[i:end]))
            i = end
        elif c == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def layer_of(rel):
    """The layer a repository-relative path belongs to, or None when it is
    outside the layering. Files directly under src/ get the layer "src"."""
    parts = rel.split("/")
    if parts[0] == "include":
        return "public"
    if parts[0] == "src":
        return parts[1] if len(parts) > 2 else "src"
    if parts[0] == "examples":
        return "examples"
    return None


def resolve(root, rel_file, kind, name):
    """Repository-relative path of the header an include names, or None for
    a system header (or a quoted one that is nowhere in the tree)."""
    candidates = []
    if kind == '"':
        candidates.append(os.path.join(os.path.dirname(rel_file), name))
    candidates += [os.path.join("include", name), os.path.join("src", name)]
    for cand in candidates:
        norm = os.path.normpath(cand)
        if norm.startswith(".."):
            continue
        if os.path.isfile(os.path.join(root, norm)):
            return norm.replace(os.sep, "/")
    return None


def source_files(root):
    for top in CHECKED_DIRS:
        base = os.path.join(root, top)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith(SOURCE_EXT):
                    yield os.path.relpath(os.path.join(dirpath, f), root).replace(os.sep, "/")


def check(root):
    """Returns (violations, siblings, errors, counts). A violation is a tuple
    (file, line, layer, header, header_layer, public_only)."""
    violations, siblings, errors, unresolved = [], [], [], []
    files = includes = 0
    unknown = set()
    for rel in source_files(root):
        layer = layer_of(rel)
        if layer not in LAYERS and layer not in PUBLIC_ONLY:
            unknown.add(rel.rsplit("/", 1)[0] if layer != "src" else rel)
            continue
        files += 1
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as fh:
            text = strip_comments(fh.read())
        for lineno, line in enumerate(text.split("\n"), 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            kind, name = m.group(1), m.group(2).strip()
            target = resolve(root, rel, kind, name)
            if target is None:
                if kind == '"':
                    unresolved.append("%s:%d: cannot find \"%s\"" % (rel, lineno, name))
                continue
            includes += 1
            tlayer = layer_of(target)
            if tlayer == "public" or tlayer == layer:
                continue                       # public headers, or the file's own layer
            if layer in PUBLIC_ONLY:
                violations.append((rel, lineno, layer, target, tlayer or target.split("/")[0], True))
                continue
            if tlayer not in LAYERS:           # outside src/ (tests/, ...) or an unknown folder
                violations.append((rel, lineno, layer, target, tlayer or target.split("/")[0], False))
                continue
            if LAYERS[tlayer] > LAYERS[layer]:
                violations.append((rel, lineno, layer, target, tlayer, False))
            elif LAYERS[tlayer] == LAYERS[layer]:
                siblings.append("%s:%d: %s includes %s of sibling layer %s" % (rel, lineno, layer, target, tlayer))
    for u in sorted(unknown):
        errors.append("%s: not a layer: add the folder to LAYERS in scripts/check-layers.py" % u)
    return violations, siblings, errors, unresolved, files, includes


def fmt(v, with_line=True):
    rel, lineno, layer, header, hlayer, public_only = v
    where = "%s:%d" % (rel, lineno) if with_line else rel
    return "%s: %s includes %s of layer %s%s" % (
        where, layer, header, hlayer, " (only public headers allowed)" if public_only else "")


def read_allow(path):
    """(line number, canonical entry) for each allowance; the canonical entry
    is the violation text without the line number."""
    entries = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            entries.append((lineno, re.sub(r"^([^:\s]+):\d+:", r"\1:", line)))
    return entries


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Check that rill's includes respect its layers.")
    ap.add_argument("--root", default=os.path.dirname(here), help="tree to check (default: this repository)")
    ap.add_argument("--allow", default=None, help="allowlist (default: ROOT/scripts/layers-allow.txt if present)")
    args = ap.parse_args()
    if not os.path.isdir(os.path.join(args.root, "src")):
        print("check-layers: %s has no src/ folder" % args.root, file=sys.stderr)
        return 2
    allow_path = args.allow
    if allow_path is None:
        default = os.path.join(args.root, "scripts", "layers-allow.txt")
        allow_path = default if os.path.isfile(default) else None
    try:
        allow = read_allow(allow_path) if allow_path else []
    except OSError as e:
        print("check-layers: %s" % e, file=sys.stderr)
        return 2

    violations, siblings, errors, unresolved, files, includes = check(args.root)
    allowed_keys = {entry for _, entry in allow}
    used = set()
    failed = []
    allowed = []
    for v in violations:
        key = fmt(v, with_line=False)
        if key in allowed_keys:
            used.add(key)
            allowed.append(v)
        else:
            failed.append(v)
    stale = [(n, e) for n, e in allow if e not in used]

    for w in siblings:
        print("warning: " + w)
    for w in unresolved:
        print("warning: " + w)
    for v in allowed:
        print("allowed: " + fmt(v))
    for v in failed:
        print(fmt(v))
    for e in errors:
        print(e)
    for n, e in stale:
        print("%s:%d: stale allowance, no longer occurs (remove the line): %s" % (allow_path, n, e))

    bad = len(failed) + len(errors) + len(stale)
    summary = "layers: %d files, %d project includes, %d violations, %d allowed, %d sibling includes" % (
        files, includes, len(failed), len(allowed), len(siblings))
    if bad:
        print("%s; FAILED (%d violations, %d errors, %d stale allowances)" % (
            summary, len(failed), len(errors), len(stale)))
        return 1
    print(summary + "; ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
