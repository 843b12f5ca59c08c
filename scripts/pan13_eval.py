#!/usr/bin/env python3
"""Character-level precision and recall of lineage's passages on PAN-13.

Usage: scripts/pan13_eval.py [--lineage BIN] [--shared DIR]

Runs `lineage score --pairs` once on the 500 labelled pairs of
`../shared/data/pan13_verbatim/02-no-obfuscation` and compares the passages
lineage reports with the labelled plagiarism cases, character by character,
on the suspicious side and on the source side. Figures are macro-averaged
over pairs, as PAN's text-alignment measures are per case: recall is the
share of labelled characters inside a reported passage; precision is the
share of reported characters inside a labelled case (a pair with no
reported passage has recall 0 and is left out of precision, as in PAN).
lineage reports byte offsets; they are converted to character offsets here.

The offsets in this copy of the corpus (PanPC) are a few characters off the
texts it ships: e.g. a case labelled to start at "e don't typically" in the
source and "People don't" in the suspicious document. Unless --raw-labels
is given, each labelled case is therefore re-anchored on the texts first:
the labelled ranges, widened by 250 characters each way, are aligned with
difflib, and the case becomes the span from the first to the last matching
block of at least 20 characters on each side. This uses only the two texts
and the labels, never lineage's output. Both figures are printed.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--lineage", default=os.path.join(here, "..", "target", "release", "lineage"))
ap.add_argument("--shared", default=os.path.join(here, "..", "..", "shared"))
ap.add_argument("--threads", default=None)
ap.add_argument("--raw-labels", action="store_true", help="use the labelled offsets as given")
args = ap.parse_args()

base = os.path.join(args.shared, "data", "pan13_verbatim")
labels_dir = os.path.join(base, "02-no-obfuscation")
susp_dir = os.path.join(base, "susp")
src_dir = os.path.join(base, "final_txt_files")

cases = {}
pairs = []
for name in sorted(os.listdir(labels_dir)):
    if not name.endswith(".xml"):
        continue
    root = ET.parse(os.path.join(labels_dir, name)).getroot()
    susp = os.path.join(susp_dir, root.get("reference"))
    for f in root.findall("feature"):
        if f.get("name") != "plagiarism":
            continue
        src = os.path.join(src_dir, f.get("source_reference"))
        key = (susp, src)
        if key not in cases:
            cases[key] = []
            pairs.append(key)
        cases[key].append((int(f.get("this_offset")), int(f.get("this_length")),
                           int(f.get("source_offset")), int(f.get("source_length"))))

with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as tsv:
    for s, r in pairs:
        tsv.write(f"{s}\t{r}\n")
cmd = [args.lineage, "score", "--pairs", tsv.name, "--format", "json", "--threshold", "0"]
if args.threads:
    cmd += ["--threads", args.threads]
t0 = time.perf_counter()
out = subprocess.run(cmd, capture_output=True, text=True)
wall = time.perf_counter() - t0
os.unlink(tsv.name)
if out.returncode == 2:
    sys.exit("lineage failed: " + out.stderr)
reports = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]

texts = {}
def char_index(path):
    """byte offset -> char offset table for a file (lineage reads UTF-8)."""
    if path not in texts:
        data = open(path, "rb").read()
        text = data.decode("utf-8", errors="replace")
        table = [0] * (len(text.encode("utf-8")) + 1)
        b = 0
        for i, ch in enumerate(text):
            n = len(ch.encode("utf-8"))
            for k in range(n):
                table[b + k] = i
            b += n
        table[b] = len(text)
        texts[path] = table
    return texts[path]

def to_chars(path, start, end):
    t = char_index(path)
    return set(range(t[min(start, len(t) - 1)], t[min(end, len(t) - 1)]))

import difflib

raw_text = {}
def text_of(path):
    if path not in raw_text:
        raw_text[path] = open(path, "rb").read().decode("utf-8", errors="replace")
    return raw_text[path]

def reanchor(susp, src, so, sl, ro, rl, pad=250, min_block=20):
    st, rt = text_of(susp), text_of(src)
    a0, b0 = max(0, so - pad), max(0, ro - pad)
    a, b = st[a0:so + sl + pad], rt[b0:ro + rl + pad]
    blocks = [m for m in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
              if m.size >= min_block]
    if not blocks:
        return so, sl, ro, rl
    first, last = blocks[0], blocks[-1]
    s0, s1 = a0 + first.a, a0 + last.a + last.size
    r0, r1 = b0 + first.b, b0 + last.b + last.size
    return s0, s1 - s0, r0, r1 - r0

if not args.raw_labels:
    for key in cases:
        cases[key] = [reanchor(key[0], key[1], *c) for c in cases[key]]

sums = {"susp": [0.0, 0.0, 0], "src": [0.0, 0.0, 0]}
n = 0
missed = 0
for rep in reports:
    key = (rep["derived"], rep["source"])
    truth_s, truth_r = set(), set()
    for so, sl, ro, rl in cases[key]:
        truth_s.update(range(so, so + sl))
        truth_r.update(range(ro, ro + rl))
    det_s, det_r = set(), set()
    for p in rep["passages"]:
        if os.environ.get("KIND") and p["kind"] != os.environ["KIND"]:
            continue
        det_s |= to_chars(key[0], p["derived"]["start"], p["derived"]["end"])
        det_r |= to_chars(key[1], p["source"]["start"], p["source"]["end"])
    n += 1
    if not det_s:
        missed += 1
    for side, truth, det in (("susp", truth_s, det_s), ("src", truth_r, det_r)):
        sums[side][0] += len(truth & det) / len(truth) if truth else 1.0
        if det:
            sums[side][1] += len(truth & det) / len(det)
            sums[side][2] += 1

print(f"PAN-13 no-obfuscation ({'labels as given' if args.raw_labels else 're-anchored labels'}): {n} pairs, {sum(len(v) for v in cases.values())} cases, "
      f"{missed} pairs without a passage; score --pairs wall {wall:.2f} s")
for side, label in (("susp", "suspicious"), ("src", "source")):
    r, p, k = sums[side]
    print(f"  {label:<10} recall {r / n:.4f}  precision {p / max(k, 1):.4f}")
