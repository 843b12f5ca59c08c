#!/usr/bin/env python3
"""False-positive check on unrelated news: random pairs of Reuters stories.

Usage: scripts/reuters_pairs.py OUT_DIR [N_PAIRS] [SHARED_DIR] > pairs.tsv
       "$(scripts/lineage_bin.sh)" score --pairs pairs.tsv --format json | jq -r .verdict | sort | uniq -c

Extracts the <BODY> of every story in ../shared/data/reuters21578/*.sgm into
OUT_DIR/NEWID.txt (entities decoded, the trailing "Reuter" dropped) and
prints N_PAIRS (default 2000) random pairs, seeded, one DERIVED<TAB>SOURCE
per line. Random pairs are almost all unrelated; Reuters does repeat
stories, so a rare genuine near-copy can appear.
"""
import glob
import html
import os
import random
import re
import sys

out = sys.argv[1]
n_pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
shared = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared")
os.makedirs(out, exist_ok=True)
names = []
for f in sorted(glob.glob(os.path.join(shared, "data", "reuters21578", "*.sgm"))):
    data = open(f, encoding="latin-1").read()
    for m in re.finditer(r'<REUTERS[^>]*NEWID="(\d+)"[^>]*>(.*?)</REUTERS>', data, re.S):
        body = re.search(r"<BODY>(.*?)</BODY>", m.group(2), re.S)
        if not body:
            continue
        text = html.unescape(body.group(1)).replace("\x03", "")
        text = re.sub(r"\s*Reuter\s*$", "", text.strip())
        path = os.path.join(out, m.group(1) + ".txt")
        with open(path, "w") as fh:
            fh.write(text)
        names.append(path)
random.seed(1)
for _ in range(n_pairs):
    a, b = random.sample(names, 2)
    print(f"{a}\t{b}")
