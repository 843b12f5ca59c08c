#!/usr/bin/env python3
"""Writes the Clough & Stevenson labelled pairs for `lineage eval`.

Usage: scripts/clough_pairs.py [SHARED_DIR] > clough.tsv

Each line: ANSWER<TAB>orig_taskX.txt<TAB>CATEGORY (cut, light, heavy, non).
The originals themselves (Group "orig" if present) are skipped.
"""
import csv
import os
import sys

shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared")
base = os.path.abspath(os.path.join(shared, "data", "clough_stevenson"))
corpus = os.path.join(base, "corpus-20090418")
with open(os.path.join(base, "labels.csv"), newline="") as f:
    for row in csv.DictReader(f):
        cat = row["Category"].strip()
        if cat not in ("cut", "light", "heavy", "non"):
            continue
        answer = os.path.join(corpus, row["File"].strip())
        orig = os.path.join(corpus, "orig_task%s.txt" % row["Task"].strip())
        print("%s\t%s\t%s" % (answer, orig, cat))
