#!/usr/bin/env python3
"""Wall time of `lineage sketch` to Parquet against the native file.

Usage: scripts/parquet_vs_native.py INPUT [--lineage BIN] [--threads N] [--runs R]

Runs `lineage sketch -q --threads N INPUT -o OUT` R times for each format,
alternating native and Parquet (so both see the same minute of a shared
machine), each run writing a new file (the last run's output is deleted
first, untimed), and prints the medians and their ratio. Issue 6 asks for
Parquet to cost at most 10% more wall time than native.

INPUT is e.g. benches/peers/work/reuters.jsonl, which benches/peers/run.sh
extracts from ../shared/data/reuters21578.
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("--lineage", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "lineage"))
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--runs", type=int, default=25)
    args = ap.parse_args()
    times = {"native": [], "parquet": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            order = ["native", "parquet"] if i % 2 == 0 else ["parquet", "native"]
            for fmt in order:
                out = os.path.join(tmp, "sketch." + ("parquet" if fmt == "parquet" else "lfp"))
                if os.path.exists(out):
                    os.remove(out)
                cmd = [args.lineage, "sketch", "-q", "--threads", str(args.threads), args.input, "-o", out]
                t = time.perf_counter()
                subprocess.run(cmd, check=True)
                times[fmt].append(time.perf_counter() - t)
    med = {f: statistics.median(t) for f, t in times.items()}
    for f, t in times.items():
        print(f"{f}: median {med[f] * 1000:.1f} ms, min {min(t) * 1000:.1f} ms ({len(t)} runs)")
    print(f"parquet/native (medians), {args.threads} thread(s): {med['parquet'] / med['native']:.2f}")


if __name__ == "__main__":
    main()
