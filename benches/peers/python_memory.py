"""Memory of lineage.dedup over an iterator of texts (issue 21, point 4).

    python benches/peers/python_memory.py READ_JSONL [--docs 1000000 ...]

Each run is a fresh process that streams --docs generated texts (the
Reuters bodies, then recombined sentences and a few edited copies, made
one at a time and never held together) into lineage.dedup, and prints its peak RSS
(getrusage) minus the RSS before the call, per document, with and without
exact verification. Texts themselves would take the "text MB" column.
"""

import argparse
import json
import random
import resource
import subprocess
import sys
import time


def texts(bodies, n, seed=1):
    """The Reuters bodies, then new documents of six sentences drawn from
    all bodies (95%) or copies of a body with 2% of its words changed (5%),
    made one at a time."""
    rng = random.Random(seed)
    sentences = [s for b in bodies for s in b.split(". ") if len(s) > 40]
    for i in range(n):
        if i < len(bodies):
            yield bodies[i]
        elif rng.random() < 0.05:
            words = rng.choice(bodies).split()
            for _ in range(max(1, len(words) // 50)):
                if words:
                    words[rng.randrange(len(words))] = f"w{rng.randrange(10**6)}"
            yield " ".join(words)
        else:
            yield ". ".join(rng.choice(sentences) for _ in range(6)) + "."


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def child(path, n, exact):
    import lineage

    bodies = [json.loads(line)["text"] for line in open(path, encoding="utf-8")]
    text_bytes = sum(len(t.encode()) for t in texts(bodies, n))
    before = rss_kb()
    t = time.perf_counter()
    c = lineage.dedup(texts(bodies, n), exact=exact)
    secs = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"docs": n, "exact": exact, "seconds": round(secs, 1),
                      "text_mb": round(text_bytes / 1e6), "peak_mb": round(peak / 1024),
                      "bytes_per_doc": round((peak - before) * 1024 / n),
                      "clusters": len(c.clusters)}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("jsonl")
    ap.add_argument("--docs", type=int, nargs="+", default=[250_000, 1_000_000])
    ap.add_argument("--child", nargs=2)
    args = ap.parse_args()
    if args.child:
        child(args.jsonl, int(args.child[0]), args.child[1] == "exact")
        return
    print("docs  verification  seconds  text MB  peak RSS MB  bytes/doc above start  clusters")
    for n in args.docs:
        for mode in ("estimate", "exact"):
            out = subprocess.run([sys.executable, __file__, args.jsonl, "--child", str(n), mode],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out)
            print(f"{n:>9}  {mode:>8}  {r['seconds']:7}  {r['text_mb']:7}  {r['peak_mb']:11}  {r['bytes_per_doc']:21}  {r['clusters']}")


if __name__ == "__main__":
    main()
