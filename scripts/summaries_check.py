#!/usr/bin/env python3
"""`lineage check` on summaries: does retrieval find the article a summary
came from, among an archive of other news?

Usage: scripts/summaries_check.py [--lineage BIN] [--shared DIR] [--split val]

Indexes every article of the split (the SOURCE of each xsum, cnndm and
newsroom pair in ../shared/data/summaries/pairs.tsv) plus the 19,043
Reuters-21578 bodies, then checks every summary of the split (the DERIVED of
each `*_pos` pair) as one JSON Lines file, and prints per group:

- findings naming the summary's own article, and all findings;
- the share of summaries with a finding against their own article (compare
  with the pairwise share of findings that `lineage eval --split` prints);
- the share of all findings that name the summary's own article.

The archive and the checks go through the real binary (release build).
KEEP=DIR keeps the archive, the index and the queries in DIR to look at.
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "benches", "peers"))
from extract import reuters_bodies  # noqa: E402  (the peer bench's Reuters reader)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lineage", default=os.path.join(HERE, "..", "target", "release", "lineage"))
    ap.add_argument("--shared", default=os.path.join(HERE, "..", "..", "shared"))
    ap.add_argument("--split", default="val")
    args = ap.parse_args()
    root = os.path.join(args.shared, "data", "summaries")
    own = {}  # summary -> its article
    groups = {}  # summary -> group
    articles = set()
    with open(os.path.join(root, "pairs.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            derived, source, label, group, split = line.rstrip("\n").split("\t")[:5]
            if split != args.split or group.startswith("ecb"):
                continue
            articles.add(source)
            if group.endswith("_pos"):
                own[derived] = source
                groups[derived] = group[: -len("_pos")]

    def text(rel):
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            return f.read()

    with tempfile.TemporaryDirectory() as work:
        if os.environ.get("KEEP"):
            work = os.environ["KEEP"]
        archive = os.path.join(work, "archive.jsonl")
        with open(archive, "w", encoding="utf-8") as out:
            for rel in sorted(articles):
                out.write(json.dumps({"id": rel, "text": text(rel)}) + "\n")
            n_reuters = 0
            for newid, body in reuters_bodies(os.path.join(args.shared, "data", "reuters21578")):
                out.write(json.dumps({"id": f"reuters/{newid}", "text": body}) + "\n")
                n_reuters += 1
        queries = os.path.join(work, "summaries.jsonl")
        with open(queries, "w", encoding="utf-8") as out:
            for rel in sorted(own):
                out.write(json.dumps({"id": rel, "text": text(rel)}) + "\n")
        index = os.path.join(work, "archive.idx")
        started = time.time()
        subprocess.run([args.lineage, "index", "add", index, archive, "--quiet"], check=True)
        built = time.time() - started
        started = time.time()
        run = subprocess.run(
            [args.lineage, "check", index, queries, "--format", "json", "--quiet"],
            stdout=subprocess.PIPE,
            check=False,
        )
        checked = time.time() - started
        if run.returncode not in (0, 1):
            sys.exit(f"lineage check failed with exit status {run.returncode}")
    found_own = collections.Counter()
    findings = collections.Counter()
    right = collections.Counter()
    total = collections.Counter(groups.values())
    for line in run.stdout.decode("utf-8").splitlines():
        record = json.loads(line)
        if record.get("type") != "finding":
            continue
        report = record["report"] if "report" in record else record
        summary = report["derived"] if report["derived"] in own else report["source"]
        other = report["source"] if summary == report["derived"] else report["derived"]
        if summary not in own:
            continue
        g = groups[summary]
        findings[g] += 1
        if other == own[summary]:
            right[g] += 1
            found_own[summary] = 1
    print(
        f"{args.split}: {len(articles)} articles + {n_reuters} Reuters bodies indexed in {built:.1f} s; "
        f"{len(own)} summaries checked in {checked:.1f} s"
    )
    print(f"  {'group':<16} {'summaries':>9} {'own found':>10} {'findings':>9} {'naming own':>11}")
    for g in sorted(total):
        got = sum(1 for s in own if groups[s] == g and found_own[s])
        share = right[g] / findings[g] if findings[g] else 1.0
        print(
            f"  {g:<16} {total[g]:>9} {100 * got / total[g]:>9.1f}% {findings[g]:>9} {100 * share:>10.1f}%"
        )
    all_findings = sum(findings.values())
    all_right = sum(right.values())
    print(
        f"  {'all':<16} {len(own):>9} {100 * sum(found_own.values()) / len(own):>9.1f}% "
        f"{all_findings:>9} {100 * all_right / max(all_findings, 1):>10.1f}%"
    )


if __name__ == "__main__":
    main()
