"""The Python package against rensa and datasketch, in one run (issue 21).

    python benches/peers/python_api.py READ_JSONL [--docs 100000]

READ_JSONL is the Reuters bodies as benches/peers/extract.py writes them.
Everything happens in this process, from texts already in memory, as a
notebook user would run it:

* sketching: lineage.sketch(texts) (all cores, and threads=1) against the
  usual loops: one rensa.RMinHash / datasketch.MinHash per text, fed the
  5-word shingles of text.lower().split() (peers.py's tokenisation).
* dedup at Jaccard 0.8 of --docs documents: the Reuters bodies, then
  copies of them with a few words changed (seeded), until --docs;
  lineage.dedup(texts) against LSH over the same peers' signatures
  (rensa.RMinHashLSH, datasketch.MinHashLSH) keeping candidates whose
  MinHash estimate is >= 0.8. Recall and precision against the exact
  all-pairs Jaccard >= 0.8 of the peers' shingles (peers.exact_pairs).

Prints medians of --repeat runs and the ratios, with the CPU.
"""

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import datasketch  # noqa: E402
import rensa  # noqa: E402

import lineage  # noqa: E402
from peers import NUM_PERM, SEED, THRESHOLD, cpu_name, exact_pairs, score, shingles  # noqa: E402


def median_time(f, repeat):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def rensa_sketch(texts):
    out = []
    for t in texts:
        m = rensa.RMinHash(NUM_PERM, SEED)
        sh = shingles(t)
        if sh:
            m.update(sh)
        out.append(m)
    return out


def datasketch_sketch(texts):
    out = []
    for t in texts:
        m = datasketch.MinHash(num_perm=NUM_PERM, seed=SEED)
        sh = shingles(t)
        if sh:
            m.update_batch([s.encode("utf8") for s in sh])
        out.append(m)
    return out


def lsh_pairs(mins, lsh):
    for i, m in enumerate(mins):
        lsh.insert(i, m)
    pairs = set()
    for i, m in enumerate(mins):
        for j in lsh.query(m):
            if j != i and m.jaccard(mins[j]) >= THRESHOLD:
                pairs.add((min(i, j), max(i, j)))
    return pairs


def corpus(texts, n, seed=1):
    """The texts, then edited copies (2% of words replaced) up to n."""
    rng = random.Random(seed)
    out = list(texts)
    while len(out) < n:
        words = rng.choice(texts).split()
        for _ in range(max(1, len(words) // 50)):
            if words:
                words[rng.randrange(len(words))] = f"w{rng.randrange(10**6)}"
        out.append(" ".join(words))
    return out[:n]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("jsonl")
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    texts = [json.loads(line)["text"] for line in open(args.jsonl, encoding="utf-8")]
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"# {cpu_name()}; lineage {lineage.__version__}, rensa, datasketch; {len(texts)} texts, {mb:.1f} MB")

    lin, _ = median_time(lambda: lineage.sketch(texts), args.repeat)
    lin1, _ = median_time(lambda: lineage.sketch(texts, threads=1), args.repeat)
    ren, _ = median_time(lambda: rensa_sketch(texts), args.repeat)
    dsk, _ = median_time(lambda: datasketch_sketch(texts), 1)
    print("sketch (MB/s):")
    print(f"  lineage.sketch, all cores  {mb / lin:8.1f}   {ren / lin:6.1f}x rensa  {dsk / lin:6.1f}x datasketch")
    print(f"  lineage.sketch, threads=1  {mb / lin1:8.1f}   {ren / lin1:6.1f}x rensa  {dsk / lin1:6.1f}x datasketch")
    print(f"  rensa RMinHash loop        {mb / ren:8.1f}")
    print(f"  datasketch MinHash loop    {mb / dsk:8.2f}")

    docs = corpus(texts, args.docs)
    t = time.perf_counter()
    truth = exact_pairs([set(shingles(d)) for d in docs], THRESHOLD)
    print(f"dedup of {len(docs)} documents at Jaccard {THRESHOLD} ({len(truth)} true pairs, exact join in {time.perf_counter() - t:.0f} s):")

    def lineage_dedup(exact):
        c = lineage.dedup(docs, threshold=THRESHOLD, exact=exact)
        return {(p.left, p.right) for cl in c.clusters for p in cl.pairs}

    def peer_dedup(sketch, make):
        return lsh_pairs(sketch(docs), make())

    rows = [
        ("lineage.dedup", lambda: lineage_dedup(True), args.repeat),
        ("lineage.dedup(exact=False)", lambda: lineage_dedup(False), args.repeat),
        ("rensa RMinHashLSH", lambda: peer_dedup(rensa_sketch, lambda: rensa.RMinHashLSH(THRESHOLD, NUM_PERM, 16)), args.repeat),
        ("datasketch MinHashLSH", lambda: peer_dedup(datasketch_sketch, lambda: datasketch.MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)), 1),
    ]
    results = {}
    for name, f, repeat in rows:
        secs, pairs = median_time(f, repeat)
        results[name] = secs
        r, p = score(pairs, truth)
        print(f"  {name:28} {secs:8.2f} s  recall {r:.4f}  precision {p:.4f}  ({len(pairs)} pairs)")
    base = results["lineage.dedup"]
    print(f"  lineage.dedup is {results['rensa RMinHashLSH'] / base:.1f}x rensa and {results['datasketch MinHashLSH'] / base:.1f}x datasketch")


if __name__ == "__main__":
    main()
