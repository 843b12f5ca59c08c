#!/usr/bin/env python3
"""Feed items found by lineage and by feedparser, on the same bytes.

For every feed under ../shared/data/web/feeds (real RSS 1.0/2.0, Atom and
JSON Feeds in many dialects and encodings; see that folder's README), counts
the items feedparser finds and the items `lineage extract` reads: documents
printed, plus items reported as skipped (an item without text, such as a
link-only RSS 1.0 item, is named on standard error and skipped, not an
error). Prints one line per feed, then the totals and the time each took.
Exit status 1 when lineage reads fewer items than feedparser in any feed.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install feedparser
    /tmp/venv/bin/python scripts/feeds_eval.py [FEEDS_DIR] [--lineage BIN]

The lineage binary is built (release) through scripts/lineage_bin.sh unless
--lineage names one.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def lineage_items(binary, path):
    """(documents, skipped items, exit status, seconds) of `lineage extract`."""
    start = time.perf_counter()
    run = subprocess.run(
        [binary, "extract", "--format", "json", str(path)],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    docs = sum(
        1
        for line in run.stdout.splitlines()
        if line.strip() and json.loads(line).get("type") == "document"
    )
    skipped = sum(1 for line in run.stderr.splitlines() if "skipped feed item" in line)
    return docs, skipped, run.returncode, seconds, run.stderr.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("feeds", nargs="?", default=str(ROOT.parent / "shared/data/web/feeds"))
    ap.add_argument("--lineage", help="lineage binary (default: scripts/lineage_bin.sh)")
    args = ap.parse_args()
    import feedparser  # noqa: E402  (the peer; pip install feedparser)

    binary = args.lineage or subprocess.run(
        [str(ROOT / "scripts/lineage_bin.sh")], capture_output=True, text=True, check=True
    ).stdout.strip()
    feeds = sorted(
        p for p in pathlib.Path(args.feeds).rglob("*") if p.is_file() and p.name != "README.md"
    )
    fewer = []
    totals = {"feedparser": 0, "lineage": 0, "docs": 0, "skipped": 0}
    times = {"feedparser": 0.0, "lineage": 0.0}
    print(f"{'feed':<72} {'feedparser':>10} {'lineage':>8} {'(docs+skipped)':>15} exit")
    for path in feeds:
        data = path.read_bytes()
        start = time.perf_counter()
        parsed = feedparser.parse(data)
        times["feedparser"] += time.perf_counter() - start
        fp = len(parsed.entries)
        docs, skipped, code, seconds, err = lineage_items(binary, path)
        times["lineage"] += seconds
        ours = docs + skipped
        totals["feedparser"] += fp
        totals["lineage"] += ours
        totals["docs"] += docs
        totals["skipped"] += skipped
        mark = "" if ours >= fp else "  <- fewer"
        if ours < fp:
            fewer.append(path)
        name = str(path.relative_to(args.feeds))
        print(f"{name:<72} {fp:>10} {ours:>8} {f'({docs}+{skipped})':>15} {code}{mark}")
        if code == 2 and fp > 0:
            print(f"    {err.splitlines()[-1] if err else ''}")
    print(
        f"\n{len(feeds)} feeds: feedparser {totals['feedparser']} items, lineage "
        f"{totals['lineage']} ({totals['docs']} documents, {totals['skipped']} skipped "
        f"without text); {len(fewer)} feeds with fewer items than feedparser"
    )
    print(
        f"time: feedparser {times['feedparser']:.2f} s (in process), lineage "
        f"{times['lineage']:.2f} s ({len(feeds)} processes)"
    )
    return 1 if fewer else 0


if __name__ == "__main__":
    sys.exit(main())
