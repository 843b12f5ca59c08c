"""Spark and `lineage dedup` agree: identical clusters on the Reuters bodies.

Extracts the Reuters-21578 bodies, sketches them with `lineage sketch` into
three Parquet shards and into one whole-corpus file, runs spark/dedup.py in
Spark local mode on the shards and `lineage dedup` on the whole file, and
fails unless the two partitions are identical (the same sets of ids, not
just the same counts). Checks the same with exact verification on shingle
sets, that `lineage dedup --from-parquet` turns Spark's clusters back into
the very report and keep-list `lineage dedup` prints, and the connected
components on long chains.

Usage: python spark/test_equal.py --lineage "$(scripts/lineage_bin.sh debug)" \\
           --reuters ../shared/data/reuters21578 [--master local[2]]
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "benches", "peers"))

import dedup  # noqa: E402  spark/dedup.py
from extract import extract_reuters  # noqa: E402  benches/peers/extract.py

SHARDS = 3


def lineage(binary, *args):
    out = subprocess.run([binary, *args], capture_output=True, text=True)
    # Exit 1 means clusters were found; only 2 is an error.
    if out.returncode not in (0, 1):
        sys.exit(f"FAIL: lineage {' '.join(args)} exited {out.returncode}:\n{out.stderr}")
    return out.stdout


def lineage_partition(report):
    """Clusters of a `lineage dedup --format json` report, as a set of
    frozensets of ids, and its cluster lines."""
    clusters, lines = set(), []
    for line in report.splitlines():
        record = json.loads(line)
        if record["type"] == "cluster":
            clusters.add(frozenset(m["id"] for m in record["members"]))
            lines.append(line)
    return clusters, lines


def spark_partition(spark, path):
    by_label = {}
    for row in spark.read.parquet(path).collect():
        by_label.setdefault(row["cluster"], set()).add(row["id"])
    return {frozenset(ids) for ids in by_label.values()}


def same(name, want, got):
    if want == got:
        print(f"ok: {name}: {len(got)} clusters, identical")
        return
    only_want = sorted(sorted(c) for c in want - got)[:5]
    only_got = sorted(sorted(c) for c in got - want)[:5]
    sys.exit(
        f"FAIL: {name}: {len(want)} clusters from lineage dedup, {len(got)} from Spark;\n"
        f"  only lineage: {only_want}\n  only Spark: {only_got}"
    )


def check_components(spark):
    """Long shuffled chains and a star, against their known components."""
    rng = random.Random(7)
    nodes = [f"n{i:04d}" for i in range(300)]
    rng.shuffle(nodes)
    chains = [nodes[:150], nodes[150:280]]
    star = nodes[280:]
    edges = [(a, b) for chain in chains for a, b in zip(chain, chain[1:])]
    edges += [(star[0], s) for s in star[1:]]
    edges = [(min(a, b), max(a, b)) for a, b in edges]
    rng.shuffle(edges)
    frame = spark.createDataFrame(edges, "u string, v string")
    components, rounds = dedup.connected_components(frame)
    got = {}
    for row in components.collect():
        got.setdefault(row["cluster"], set()).add(row["id"])
    want = {min(c): set(c) for c in chains + [star]}
    if got != want:
        sys.exit(f"FAIL: connected components of chains: got {len(got)} components, want {len(want)}")
    print(f"ok: connected components of two chains of 150 and 130 and a star: {rounds} rounds")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lineage", required=True, help="the lineage binary")
    parser.add_argument("--reuters", required=True, help="the reuters21578 folder of .sgm files")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--threshold", default="0.8")
    args = parser.parse_args()
    binary = os.path.abspath(args.lineage)

    from pyspark.sql import SparkSession

    started = time.time()
    with tempfile.TemporaryDirectory(prefix="lineage-spark-") as work:
        jsonl = os.path.join(work, "reuters.jsonl")
        count = extract_reuters(args.reuters, os.path.join(work, "bodies"), jsonl)
        with open(jsonl, encoding="utf-8") as f:
            lines = f.readlines()
        per = (len(lines) + SHARDS - 1) // SHARDS
        shard_inputs = []
        for n in range(SHARDS):
            path = os.path.join(work, f"shard-{n}.jsonl")
            with open(path, "w", encoding="utf-8") as f:
                f.writelines(lines[n * per : (n + 1) * per])
            shard_inputs.append(path)
        print(f"extracted {count} Reuters bodies into {SHARDS} shards")

        spark = (
            SparkSession.builder.master(args.master)
            .appName("lineage-test-equal")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        try:
            check_components(spark)
            for exact in (False, True):
                sets = ["--shingle-sets"] if exact else []
                mode = "exact" if exact else "signatures"
                whole = os.path.join(work, f"whole-{mode}.parquet")
                lineage(binary, "sketch", "-q", *sets, "--threshold", args.threshold, jsonl, "-o", whole)
                shard_dir = os.path.join(work, f"shards-{mode}")
                os.makedirs(shard_dir)
                for n, path in enumerate(shard_inputs):
                    out = os.path.join(shard_dir, f"part-{n}.parquet")
                    lineage(binary, "sketch", "-q", *sets, "--threshold", args.threshold, path, "-o", out)

                report = lineage(binary, "dedup", "-q", "--threshold", args.threshold, "--format", "json", whole)
                want, want_lines = lineage_partition(report)
                summary = json.loads(report.splitlines()[-1])
                expected = "exact" if exact else "estimate"
                if summary["verification"] != expected:
                    sys.exit(f"FAIL: lineage dedup verified {summary['verification']}, expected {expected}")

                clusters = os.path.join(work, f"clusters-{mode}")
                job = dedup.parse_args([shard_dir, "-o", clusters] + (["--exact"] if exact else []))
                stats = dedup.run(spark, job)
                same(f"Spark ({mode}) vs lineage dedup", want, spark_partition(spark, clusters))
                if stats["verified_pairs"] != summary["verified_pairs"]:
                    sys.exit(
                        f"FAIL: {stats['verified_pairs']} verified pairs in Spark, {summary['verified_pairs']} in lineage"
                    )

                back = lineage(binary, "dedup", "-q", "--from-parquet", clusters, "--format", "json", whole)
                got, got_lines = lineage_partition(back)
                if got_lines != want_lines:
                    sys.exit(f"FAIL: lineage dedup --from-parquet ({mode}) reports other clusters than lineage dedup")
                keep_want = lineage(binary, "dedup", "-q", "--keep", "-", whole)
                keep_got = lineage(binary, "dedup", "-q", "--from-parquet", clusters, "--keep", "-", whole)
                if keep_got != keep_want:
                    sys.exit(f"FAIL: the keep-lists differ ({mode})")
                print(
                    f"ok: lineage dedup --from-parquet ({mode}): same report lines and keep-list "
                    f"({len(keep_got.splitlines())} kept of {summary['documents']})"
                )
        finally:
            spark.stop()
    print(f"all Spark equality checks passed in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
