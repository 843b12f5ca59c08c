#!/usr/bin/env python3
"""Main-text extraction of lineage and trafilatura, side by side.

On a folder of saved pages with a `labels.json` (for each file, `with`:
snippets its main text must contain, `without`: snippets of menus,
teasers and credits it must not), runs `lineage extract --format json`
(one process over every page) and `trafilatura.extract` (in this process,
page by page) on the same bytes, and prints for each tool the share of
`with` snippets found, the share of `without` snippets kept, and the time
spent extracting: wall clock, and CPU time, which depends less on what
else the machine is running and on how many cores there are (lineage
extracts on every core, `RAYON_NUM_THREADS=1` for one; trafilatura on
one). With `--runs N` the tools take turns N times and the medians are
printed, with the ratios of trafilatura's time to lineage's (median, and
the lowest and highest of the runs). Snippets and texts are compared the
same way for both tools: Unicode NFC, soft hyphens (U+00AD, invisible)
dropped, lower case, every run of whitespace one space.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install trafilatura lxml_html_clean
    /tmp/venv/bin/python scripts/extract_eval.py ../shared/data/web/pages
    /tmp/venv/bin/python scripts/extract_eval.py PAGES --lineage-only   # no trafilatura
    /tmp/venv/bin/python scripts/extract_eval.py PAGES --runs 5          # medians of 5 turns each
    /tmp/venv/bin/python scripts/extract_eval.py PAGES --misses          # list lineage's misses
    /tmp/venv/bin/python scripts/extract_eval.py PAGES --debug           # a debug build, quality only

The lineage binary is built in release mode and found through cargo
(`scripts/lineage_bin.sh`), wherever CARGO_TARGET_DIR points.
"""
import argparse
import json
import pathlib
import re
import resource
import statistics
import subprocess
import sys
import time
import unicodedata

ROOT = pathlib.Path(__file__).resolve().parent.parent


def norm(text: str) -> str:
    # Soft hyphens are invisible; some labels have them, some pages too.
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "").lower()
    return re.sub(r"\s+", " ", text).strip()


def lineage_texts(binary: str, files: list) -> tuple:
    """Each file's text by `lineage extract`, the seconds it took and the
    CPU seconds it used."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run(
        [binary, "extract", "--format", "json", "--input-format", "html", "-q", *map(str, files)],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    texts = {}
    for line in run.stdout.splitlines():
        record = json.loads(line)
        if record.get("type") == "document":
            texts[record["id"]] = record["text"]
    return {f.name: texts.get(str(f), "") for f in files}, seconds, cpu


def trafilatura_texts(files: list) -> tuple:
    """Each file's text by trafilatura with its defaults, and the seconds
    the extraction took (reading the files and importing excluded)."""
    import trafilatura

    pages = [(f.name, f.read_bytes()) for f in files]
    cpu = time.process_time()
    start = time.perf_counter()
    texts = {name: trafilatura.extract(data) or "" for name, data in pages}
    return texts, time.perf_counter() - start, time.process_time() - cpu


def score(texts: dict, labels: dict) -> tuple:
    found = kept = n_with = n_without = 0
    misses = []
    for name, label in labels.items():
        text = norm(texts.get(name, ""))
        for snippet in label.get("with", []):
            n_with += 1
            if norm(snippet) in text:
                found += 1
            else:
                misses.append((name, "with", snippet))
        for snippet in label.get("without", []):
            n_without += 1
            if norm(snippet) in text:
                kept += 1
                misses.append((name, "without", snippet))
    return found / max(n_with, 1), kept / max(n_without, 1), n_with, n_without, misses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pages", type=pathlib.Path)
    parser.add_argument("--lineage-only", action="store_true")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument(
        "--runs", type=int, default=1, help="turns of each tool; medians are printed"
    )
    parser.add_argument(
        "--debug", action="store_true", help="a debug build (for quality only, not time)"
    )
    args = parser.parse_args()
    labels = json.loads((args.pages / "labels.json").read_text())
    files = [args.pages / name for name in sorted(labels) if (args.pages / name).exists()]
    labels = {f.name: labels[f.name] for f in files}
    binary = subprocess.run(
        [str(ROOT / "scripts/lineage_bin.sh"), "debug" if args.debug else "release"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The tools take turns, so that both meet the same state of the machine.
    runs = {"lineage": []}
    name = None
    if not args.lineage_only:
        import trafilatura

        name = f"trafilatura {trafilatura.__version__}"
        runs[name] = []
    for _ in range(max(args.runs, 1)):
        runs["lineage"].append(lineage_texts(binary, files))
        if name:
            runs[name].append(trafilatura_texts(files))
    for tool, results in runs.items():
        if any(r[0] != results[0][0] for r in results):
            print(f"{tool}: texts differ between runs", file=sys.stderr)
            return 1
    print(f"{len(files)} pages, {len(runs['lineage'])} run(s) each, medians")
    print(f"{'tool':18} {'with found':>10} {'without kept':>12} {'seconds':>8} {'CPU s':>6}")
    for tool, results in runs.items():
        texts = results[0][0]
        seconds = statistics.median(r[1] for r in results)
        cpu = statistics.median(r[2] for r in results)
        found, kept, n_with, n_without, misses = score(texts, labels)
        print(f"{tool:18} {found:10.3f} {kept:12.3f} {seconds:8.2f} {cpu:6.2f}")
        if args.misses and tool == "lineage":
            for page, kind, snippet in misses:
                print(f"  {kind:7} {page}: {snippet[:100]!r}", file=sys.stderr)
    if name:
        for what, i in (("wall", 1), ("CPU", 2)):
            ratios = [t[i] / max(l[i], 1e-9) for l, t in zip(runs["lineage"], runs[name])]
            print(
                f"{what} time, trafilatura / lineage: median {statistics.median(ratios):.1f}x"
                f" (runs {min(ratios):.1f}-{max(ratios):.1f}x)"
            )
    print(f"({n_with} `with` snippets, {n_without} `without` snippets)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
