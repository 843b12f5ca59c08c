"""lineage dedup on Apache Spark: near-duplicate clusters from Parquet sketches.

Reads one or many Parquet sketches written by `lineage sketch -o FILE.parquet`
(one per shard, say), and writes the clusters `lineage dedup` would find on
the same sketch, as Parquet rows `id, cluster`:

1. candidates: every pair of documents sharing a band key in the same band
   (band keys exploded with their band index, then a self-join on
   (band, key)); documents without shingles have no keys and never pair;
2. verification of each candidate on the signatures: a pair is kept when its
   count of equal slots reaches `lineage.min_equal_slots` from the file's
   metadata, the integer form of `lineage dedup`'s `equal / K >= threshold`,
   so both agree exactly; with --exact and sketches made with
   `lineage sketch --shingle-sets`, on the exact Jaccard similarity of the
   shingle sets instead, computed in the same floating-point steps as lineage;
3. connected components of the verified pairs by large-star / small-star
   iteration (Kiveris et al., "Connected Components in MapReduce and Beyond",
   SoCC 2014): only joins and aggregations, nothing collected to the driver,
   O(log n) rounds;
4. output: one row per document in a cluster of two or more, `cluster` being
   the cluster's smallest id (byte order). Documents not in the output stand
   alone.

Feed the result back with
`lineage dedup --from-parquet CLUSTERS SKETCH.parquet [--keep -]`.

Usage: spark-submit spark/dedup.py SKETCH.parquet... -o CLUSTERS
       python spark/dedup.py --master 'local[2]' SKETCH.parquet... -o CLUSTERS
"""

import argparse
import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

FORMAT = "lineage-sketch/1"
# Keys that must agree across shards for their band keys and signatures to
# be comparable.
SHARED_KEYS = [
    "lineage.format",
    "lineage.num_perm",
    "lineage.shingle_size",
    "lineage.seed",
    "lineage.scheme",
    "lineage.threshold",
    "lineage.bands",
    "lineage.rows_per_band",
    "lineage.min_equal_slots",
]


def footer_metadata(spark, path):
    """The key-value metadata of one Parquet file, read through Hadoop so
    that any file system Spark reads (HDFS, S3, local) works."""
    jvm = spark._jvm
    conf = spark._jsc.hadoopConfiguration()
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    input_file = jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(hpath, conf)
    reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(input_file)
    try:
        kv = reader.getFooter().getFileMetaData().getKeyValueMetaData()
        return {k: kv.get(k) for k in kv.keySet()}
    finally:
        reader.close()


def sketch_metadata(spark, files):
    """The metadata every sketch shares; fails when shards disagree."""
    first = None
    for f in files:
        meta = footer_metadata(spark, f)
        if meta.get("lineage.format") != FORMAT:
            sys.exit(f"dedup.py: {f}: not a lineage sketch ({FORMAT}); write it with `lineage sketch -o FILE.parquet`")
        if first is None:
            first = (f, meta)
            continue
        for key in SHARED_KEYS:
            if meta.get(key) != first[1].get(key):
                sys.exit(
                    f"dedup.py: {f} has {key}={meta.get(key)} but {first[0]} has {first[1].get(key)}: "
                    "sketch every shard with the same parameters"
                )
    return first[1]


def min_equal_slots(threshold, num_perm):
    """The smallest e with e / num_perm >= threshold in IEEE doubles, as
    lineage's `lsh::min_equal_slots`."""
    for e in range(num_perm + 1):
        if e / num_perm >= threshold:
            return e
    return num_perm + 1


def candidate_pairs(docs):
    """Pairs (left < right) of ids that share a band key in some band."""
    keys = docs.select("id", F.posexplode("band_keys").alias("band", "key"))
    a, b = keys.alias("a"), keys.alias("b")
    return (
        a.join(b, (F.col("a.band") == F.col("b.band")) & (F.col("a.key") == F.col("b.key")))
        .where(F.col("a.id") < F.col("b.id"))
        .select(F.col("a.id").alias("left"), F.col("b.id").alias("right"))
        .distinct()
    )


def verified_edges(docs, pairs, need_equal, exact, threshold):
    """The candidate pairs that pass verification, as edges (u, v)."""
    column = "shingle_set" if exact else "signature"
    values = docs.select("id", column)
    l, r = values.alias("l"), values.alias("r")
    joined = pairs.join(l, F.col("left") == F.col("l.id")).join(r, F.col("right") == F.col("r.id"))
    if exact:
        # lineage: inter / (|a| + |b| - inter) >= threshold, in doubles,
        # and documents without shingles never pair.
        inter = F.size(F.array_intersect(F.col(f"l.{column}"), F.col(f"r.{column}"))).cast("double")
        la = F.size(F.col(f"l.{column}")).cast("double")
        lb = F.size(F.col(f"r.{column}")).cast("double")
        keep = (la > 0) & (lb > 0) & ((inter / ((la + lb) - inter)) >= F.lit(threshold))
    else:
        equal = F.aggregate(
            F.zip_with(F.col(f"l.{column}"), F.col(f"r.{column}"), lambda x, y: F.when(x == y, 1).otherwise(0)),
            F.lit(0),
            lambda acc, v: acc + v,
        )
        keep = equal >= F.lit(need_equal)
    return joined.where(keep).select(F.col("left").alias("u"), F.col("right").alias("v"))


def large_star(edges):
    """Each node links its larger neighbours to the smallest node of its
    neighbourhood (itself included)."""
    sym = edges.union(edges.select(F.col("v").alias("u"), F.col("u").alias("v")))
    smallest = sym.groupBy("u").agg(F.least(F.col("u"), F.min("v")).alias("m"))
    return (
        sym.where(F.col("v") > F.col("u"))
        .join(smallest, "u")
        .select(F.col("v").alias("u"), F.col("m").alias("v"))
        .distinct()
    )


def small_star(edges):
    """Each node links itself and its smaller neighbours to the smallest of
    them."""
    oriented = edges.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v")).where(
        F.col("u") != F.col("v")
    )
    smallest = oriented.groupBy("u").agg(F.min("v").alias("m"))
    neighbours = oriented.join(smallest, "u").select(F.col("v").alias("x"), "m")
    selves = smallest.select(F.col("u").alias("x"), "m")
    return (
        neighbours.union(selves)
        .where(F.col("x") != F.col("m"))
        .select(F.col("x").alias("u"), F.col("m").alias("v"))
        .distinct()
    )


def connected_components(edges, max_rounds=64):
    """(id, cluster) for every node of `edges`, cluster = smallest id of its
    component. Stops when the edges form stars whose centres point nowhere:
    then each star is a component and its centre is its smallest node."""
    edges = edges.localCheckpoint()
    for rounds in range(1, max_rounds + 1):
        edges = small_star(large_star(edges)).localCheckpoint()
        centres = edges.select(F.col("v").alias("n"))
        pointing = edges.select(F.col("u").alias("n"))
        if centres.intersect(pointing).isEmpty():
            break
    else:
        sys.exit(f"dedup.py: connected components did not converge in {max_rounds} rounds")
    roots = edges.select(F.col("v").alias("id"), F.col("v").alias("cluster")).distinct()
    members = edges.select(F.col("u").alias("id"), F.col("v").alias("cluster"))
    return members.union(roots), rounds


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sketches", nargs="+", help="Parquet sketches (files or folders)")
    parser.add_argument("-o", "--output", required=True, help="folder to write the id, cluster Parquet into")
    parser.add_argument(
        "--threshold",
        type=float,
        help="verify at this Jaccard threshold instead of the sketches' (the band keys stay those of the sketch)",
    )
    parser.add_argument(
        "--exact",
        action="store_true",
        help="verify on the shingle sets (sketches made with --shingle-sets), as lineage dedup does on such a sketch",
    )
    parser.add_argument("--master", help="Spark master when run with python rather than spark-submit, e.g. local[2]")
    parser.add_argument("--partitions", type=int, help="spark.sql.shuffle.partitions (default: Spark's)")
    return parser.parse_args(argv)


def run(spark, args):
    """Runs the job in `spark`; returns a dict of counts and timings."""
    started = time.time()
    docs = spark.read.parquet(*args.sketches)
    meta = sketch_metadata(spark, docs.inputFiles())
    num_perm = int(meta["lineage.num_perm"])
    threshold = float(meta["lineage.threshold"]) if args.threshold is None else args.threshold
    need_equal = int(meta["lineage.min_equal_slots"]) if args.threshold is None else min_equal_slots(threshold, num_perm)
    if args.exact and "shingle_set" not in docs.columns:
        sys.exit("dedup.py: --exact needs shingle sets: sketch with `lineage sketch --shingle-sets -o FILE.parquet`")

    duplicated = docs.groupBy("id").count().where("count > 1").limit(3).collect()
    if duplicated:
        ids = ", ".join(r["id"] for r in duplicated)
        sys.exit(f"dedup.py: ids occur more than once ({ids}); clusters name documents by id, so ids must be unique")

    docs = docs.select("id", "band_keys", "shingle_set" if args.exact else "signature")
    pairs = candidate_pairs(docs).localCheckpoint()
    edges = verified_edges(docs, pairs, need_equal, args.exact, threshold).localCheckpoint()
    clusters, rounds = connected_components(edges)
    clusters.write.mode("overwrite").parquet(args.output)
    seconds = time.time() - started

    written = spark.read.parquet(args.output)
    summary = written.agg(F.count("*").alias("members"), F.countDistinct("cluster").alias("clusters")).first()
    stats = {
        "documents": docs.count(),
        "candidates": pairs.count(),
        "verified_pairs": edges.count(),
        "clusters": summary["clusters"],
        "members": summary["members"],
        "rounds": rounds,
        "seconds": seconds,
    }
    print(
        f"dedup.py: {stats['documents']} documents, {stats['candidates']} candidates, "
        f"{stats['verified_pairs']} verified pairs, {stats['clusters']} clusters of {stats['members']} documents "
        f"({stats['members'] - stats['clusters']} duplicates) in {rounds} rounds, {seconds:.1f} s; "
        f"verified {'exactly' if args.exact else 'on signatures'}: threshold {threshold}, K={num_perm}, "
        f"{meta['lineage.bands']} bands x {meta['lineage.rows_per_band']} rows",
        file=sys.stderr,
    )
    return stats


def main(argv=None):
    args = parse_args(argv)
    builder = SparkSession.builder.appName("lineage-dedup")
    if args.master:
        builder = builder.master(args.master)
    if args.partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(args.partitions))
    spark = builder.getOrCreate()
    try:
        run(spark, args)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
