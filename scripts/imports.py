#!/usr/bin/env python3
"""The imports between lineage's stages, and the ones that point back up.

Reads every `crate::` path in src/ (outside the binary), including grouped
`use crate::{a, b::c}` forms, maps each file and each path to its top-level
module, and prints one line per module: the modules it imports. A module may
import only modules of an earlier stage (or its own); every other import is
listed under "back" and makes the script exit 1.

    python3 scripts/imports.py          # from the repository root
"""
import pathlib
import re
import sys

# The pipeline order (README and lib.rs number the same stages).
STAGES = [
    "error",
    "kernels",
    "source",
    "text",
    "sketch",
    "lsh",
    "compare",
    "corpus",
    "store",
    "archive",
    "eval",
    "report",
    "pipeline",
]
RANK = {m: i for i, m in enumerate(STAGES)}


def module_of(path: pathlib.Path) -> str:
    rel = path.relative_to("src").with_suffix("")
    return rel.parts[0]


def imported(text: str):
    """Top-level module names named by `crate::` paths in the text."""
    out = set()
    for m in re.finditer(r"\bcrate::(\{[^;]*?\}|[a-z_]+)", text, re.S):
        tok = m.group(1)
        if tok.startswith("{"):
            # the first path component of each item at nesting depth 1
            depth, item = 0, ""
            for ch in tok[1:-1] + ",":
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                if ch == "," and depth == 0:
                    name = re.match(r"\s*([a-z_]+)", item)
                    if name:
                        out.add(name.group(1))
                    item = ""
                else:
                    item += ch
        else:
            out.add(tok)
    return out


def main() -> int:
    graph = {}
    for path in sorted(pathlib.Path("src").rglob("*.rs")):
        if path.parts[1] == "bin" or path.name == "lib.rs":
            continue
        text = re.sub(r"//[^\n]*", "", path.read_text())
        mod = module_of(path)
        for dep in imported(text):
            if dep in ("self", "super") or dep == mod:
                continue
            graph.setdefault(mod, {}).setdefault(dep, set()).add(str(path))
    back = []
    for mod in sorted(graph, key=lambda m: RANK.get(m, -1)):
        deps = sorted(graph[mod], key=lambda m: RANK.get(m, -1))
        print(f"{mod:9} -> {' '.join(deps)}")
        for dep in deps:
            if mod not in RANK or dep not in RANK:
                back.append(f"{mod} -> {dep}: not a known stage (add it to STAGES)")
            elif RANK[dep] > RANK[mod]:
                files = ", ".join(sorted(graph[mod][dep]))
                back.append(f"{mod} -> {dep} ({files})")
    print(f"\nback: {len(back)}")
    for b in back:
        print(f"  {b}")
    return 1 if back else 0


if __name__ == "__main__":
    sys.exit(main())
