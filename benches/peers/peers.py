"""Side-by-side benchmark of lineage, rensa and datasketch (run by run.sh).

Everything is measured in this one run, on the same files:

* sketching throughput (MB of body text per second, end to end: read the
  file, tokenise, 5-word shingles, K=128 signature) at 1 worker and at all
  cores. The peers run as their users run them: read the JSON Lines file,
  json.loads, text.lower().split(), 5-word shingles joined with spaces,
  MinHash(num_perm=128).update_batch / RMinHash(128, 42).update; all cores
  means a multiprocessing.Pool over chunks of lines. lineage runs its
  release binary (`lineage sketch`, which also writes and fsyncs its
  fingerprint file).
* dedup at Jaccard 0.8: wall time from the file to the duplicate pairs, and
  recall / precision of each tool's pairs against the exact all-pairs
  Jaccard >= 0.8, computed once per tokenisation:
  - split truth: lower().split() 5-shingles (the peers' tokens), by an
    exact prefix-filter join written here in Python;
  - lineage truth: lineage's own tokens (UAX #29 words, case-folded), by
    `lineage dedup --exact` (exact prefix-filter join, every pair verified
    on the shingle sets).
  The peers' pairs are their LSH candidates kept when their own MinHash
  estimate is >= 0.8 (the most a user can do without keeping shingle
  sets); lineage's pairs are the verified pairs of `lineage dedup`.
* memory: peak RSS (/usr/bin/time -v) of `lineage sketch` on the kernel
  docs, and of `lineage dedup` on the full and half Reuters corpus, whose
  difference over the difference in documents is dedup's bytes/document.
"""

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import re
import subprocess
import sys
import time
from collections import defaultdict

import datasketch
import rensa
from importlib.metadata import version

NUM_PERM = 128
SHINGLE = 5
THRESHOLD = 0.8
SEED = 42


def shingles(text):
    """lower(), split(), 5-word shingles; fewer words give one shingle."""
    words = text.lower().split()
    if len(words) < SHINGLE:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)]


def read_docs(path):
    ids, texts = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            ids.append(rec["id"])
            texts.append(rec["text"])
    return ids, texts


# --- sketching, as users write it ----------------------------------------


def datasketch_lines(lines):
    out = []
    for line in lines:
        m = datasketch.MinHash(num_perm=NUM_PERM, seed=SEED)
        sh = shingles(json.loads(line)["text"])
        if sh:
            m.update_batch([s.encode("utf8") for s in sh])
        out.append(m)
    return out


def datasketch_loop_lines(lines):
    """datasketch as its README shows it: one update() per shingle."""
    out = []
    for line in lines:
        m = datasketch.MinHash(num_perm=NUM_PERM, seed=SEED)
        for s in shingles(json.loads(line)["text"]):
            m.update(s.encode("utf8"))
        out.append(m)
    return out


def rensa_lines(lines):
    out = []
    for line in lines:
        m = rensa.RMinHash(NUM_PERM, SEED)
        sh = shingles(json.loads(line)["text"])
        if sh:
            m.update(sh)
        out.append(m)
    return out


def sketch_file(path, fn, workers):
    """Reads the file and sketches every line; returns the sketches."""
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    if workers == 1:
        return fn(lines)
    step = math.ceil(len(lines) / (workers * 8))
    chunks = [lines[i : i + step] for i in range(0, len(lines), step)]
    with mp.Pool(workers) as pool:
        parts = pool.map(fn, chunks)
    return [m for part in parts for m in part]


def timed(f, repeat, prepare=None):
    times = []
    result = None
    for _ in range(repeat):
        if prepare is not None:
            prepare()
        t = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - t)
    # Best of N: the machine is shared, and interference only adds time.
    return min(times), result


def remove_output(args):
    """Deletes the file a command's `-o` names, if any. A sketch run writes
    a new file; replacing the last run's output would add the kernel
    freeing that file's pages to the rename (about 3 ms for Reuters), work
    that is not sketching, so it is deleted before each run, untimed."""
    if "-o" in args:
        out = args[args.index("-o") + 1]
        if os.path.exists(out):
            os.remove(out)


def run_lineage(args, repeat):
    def f():
        subprocess.run(args, check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    return timed(f, repeat, lambda: remove_output(args))[0]


def run_interleaved(groups, repeat):
    """Best wall time of each group of commands (a group's commands run at
    once), the groups taking turns so that the machine's drift over the
    run (it is shared) hits them alike. Outputs are deleted before each
    run, untimed (`remove_output`)."""
    times = [[] for _ in groups]
    for _ in range(repeat):
        for i, argvs in enumerate(groups):
            for a in argvs:
                remove_output(a)
            t = time.perf_counter()
            procs = [
                subprocess.Popen(a, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for a in argvs
            ]
            for p in procs:
                p.wait()
            times[i].append(time.perf_counter() - t)
    return [min(t) for t in times]


def sketch_scaling(lineage, inp, out, cores, repeat):
    """lineage's sketch of `inp` at 1 thread, at `cores` threads, and as
    `cores` independent one-thread runs at once (each doing all the work:
    their time over one run alone bounds any parallel efficiency here, as
    caches, memory and, on a VM, the host are shared), taking turns so
    that the efficiency compares runs made under the same load. Returns
    the best times: ({1: t, cores: t}, alone / together)."""
    sketch = lambda workers, o: [lineage, "sketch", "-q", "--threads", str(workers), inp, "-o", o]
    alone, all_cores, together = run_interleaved(
        [[sketch(1, out)], [sketch(cores, out)], [sketch(1, f"{out}.{i}") for i in range(cores)]],
        repeat,
    )
    return {1: alone, cores: all_cores}, alone / together, together


# --- exact ground truth (split tokens), prefix-filter join -----------------


def exact_pairs(sets, threshold):
    """All pairs with Jaccard >= threshold (AllPairs with prefix and size filters)."""
    freq = defaultdict(int)
    for s in sets:
        for h in s:
            freq[h] += 1
    order = {h: r for r, h in enumerate(sorted(freq, key=lambda h: (freq[h], h)))}
    ranked = [sorted(order[h] for h in s) for s in sets]
    index = defaultdict(list)
    prefixes = []
    for d, r in enumerate(ranked):
        n = len(r)
        p = n - math.ceil(threshold * n - 1e-9) + 1 if n else 0
        prefixes.append(r[: max(0, min(p, n))])
        for tok in prefixes[d]:
            index[tok].append(d)
    pairs = set()
    for x, pre in enumerate(prefixes):
        cands = set()
        for tok in pre:
            cands.update(index[tok])
        for y in cands:
            if y <= x:
                continue
            a, b = sets[x], sets[y]
            lo, hi = min(len(a), len(b)), max(len(a), len(b))
            if lo < threshold * hi - 1e-9:
                continue
            inter = len(a & b)
            if inter / (len(a) + len(b) - inter) >= threshold:
                pairs.add((x, y))
    return pairs


def score(found, truth):
    tp = len(found & truth)
    recall = tp / len(truth) if truth else 1.0
    precision = tp / len(found) if found else 1.0
    return recall, precision


# --- dedup, as users write it ----------------------------------------------


def lsh_dedup(path, sketch_lines, make_lsh):
    """Sketches every body, indexes them, and keeps the LSH candidates whose
    MinHash estimate is >= the threshold (no shingle sets kept)."""
    ids, texts = read_docs(path)
    mins = sketch_lines([json.dumps({"text": t}) for t in texts])
    lsh = make_lsh()
    for i, m in enumerate(mins):
        lsh.insert(i, m)
    pairs = set()
    for i, m in enumerate(mins):
        for j in lsh.query(m):
            if j != i and m.jaccard(mins[j]) >= THRESHOLD:
                pairs.add((min(i, j), max(i, j)))
    return pairs


def datasketch_dedup(path):
    return lsh_dedup(
        path, datasketch_lines, lambda: datasketch.MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    )


def rensa_dedup(path):
    return lsh_dedup(path, rensa_lines, lambda: rensa.RMinHashLSH(THRESHOLD, NUM_PERM, 16))


def lineage_pairs(stdout, ids):
    pos = {d: i for i, d in enumerate(ids)}
    pairs = set()
    for line in stdout.splitlines():
        rec = json.loads(line)
        if rec["type"] != "cluster":
            continue
        for p in rec["pairs"]:
            a, b = pos[p["left"]], pos[p["right"]]
            pairs.add((min(a, b), max(a, b)))
    return pairs


def peak_rss_kb(args):
    r = subprocess.run(
        ["/usr/bin/time", "-v"] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    w = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", r.stderr)
    wall = None
    if w:
        wall = int(w.group(1) or 0) * 3600 + int(w.group(2)) * 60 + float(w.group(3))
    return (int(m.group(1)) if m else None), wall


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lineage", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--linux-doc", required=True)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    jsonl = os.path.join(args.work, "reuters.jsonl")
    lfp = os.path.join(args.work, "reuters.lfp")
    ids, texts = read_docs(jsonl)
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    log = lambda *a: print(*a, file=sys.stderr, flush=True)
    log(f"{len(ids)} Reuters bodies, {mb:.1f} MB; {cores} cores: {cpu_name()}")

    rows = {}
    # Sketching throughput.
    lin, ceiling, together = sketch_scaling(args.lineage, jsonl, lfp, cores, args.repeat)
    alone = lin[1]
    for workers in sorted({1, cores}):
        ren, _ = timed(lambda: sketch_file(jsonl, rensa_lines, workers), 3)
        dsk, _ = timed(lambda: sketch_file(jsonl, datasketch_lines, workers), 2)
        rows[workers] = (mb / lin[workers], mb / ren, mb / dsk)
        log(f"sketch x{workers}: lineage {mb/lin[workers]:.1f} MB/s, rensa {mb/ren:.1f}, datasketch {mb/dsk:.2f}")
    log(f"{cores} independent one-thread runs at once: {together*1000:.1f} ms against {alone*1000:.1f} alone")
    dsk_loop, _ = timed(lambda: sketch_file(jsonl, datasketch_loop_lines, 1), 1)
    log(f"sketch x1: datasketch with one update() per shingle {mb/dsk_loop:.2f} MB/s")
    big = os.path.join(args.work, "reuters-x4.jsonl")
    with open(jsonl) as f, open(big, "w") as out:
        body = f.read()
        out.write(body * 4)
    big_t, big_ceiling, _ = sketch_scaling(args.lineage, big, lfp, cores, 9)
    log(f"sketch on 4 copies: {', '.join(f'x{w} {4*mb/t:.0f} MB/s' for w, t in big_t.items())}")
    lin_files = run_lineage(
        [args.lineage, "sketch", "-q", "--threads", "1", os.path.join(args.work, "reuters"), "-o", lfp],
        3,
    )
    log(f"sketch x1 on 19k separate files: lineage {mb/lin_files:.1f} MB/s")

    # Ground truth.
    t = time.perf_counter()
    split_sets = [set(shingles(x)) for x in texts]
    split_truth = exact_pairs(split_sets, THRESHOLD)
    log(f"split truth: {len(split_truth)} pairs in {time.perf_counter() - t:.1f} s")
    r = subprocess.run(
        [args.lineage, "dedup", "--exact", "--format", "json", "-q", jsonl],
        stdout=subprocess.PIPE, text=True,
    )
    lineage_truth = lineage_pairs(r.stdout, ids)
    log(f"lineage-token truth: {len(lineage_truth)} pairs")

    # Dedup.
    dedup_args = [args.lineage, "dedup", "--format", "json", "-q", "--threads", str(cores), jsonl]
    lin_dedup = run_lineage(dedup_args, args.repeat)
    r = subprocess.run(dedup_args, stdout=subprocess.PIPE, text=True)
    lin_pairs = lineage_pairs(r.stdout, ids)
    ren_t, ren_pairs = timed(lambda: rensa_dedup(jsonl), 1)
    dsk_t, dsk_pairs = timed(lambda: datasketch_dedup(jsonl), 1)

    # Memory.
    linux_rss, linux_wall = peak_rss_kb(
        [args.lineage, "sketch", "-q", args.linux_doc, "-o", os.path.join(args.work, "linux.lfp")]
    )
    linux_docs = sum(len(f) for _, _, f in os.walk(args.linux_doc))
    linux_mb = sum(
        os.path.getsize(os.path.join(d, n)) for d, _, f in os.walk(args.linux_doc) for n in f
    ) / 1e6
    half = os.path.join(args.work, "reuters-half.jsonl")
    with open(jsonl) as f, open(half, "w") as out:
        lines = f.readlines()
        out.writelines(lines[: len(lines) // 2])
    full_rss, _ = peak_rss_kb([args.lineage, "dedup", "-q", jsonl])
    half_rss, _ = peak_rss_kb([args.lineage, "dedup", "-q", half])
    per_doc = (full_rss - half_rss) * 1024 / (len(lines) - len(lines) // 2)

    lin1, ren1, dsk1 = rows[1]
    linN, renN, dskN = rows[cores]
    lr, lp = score(lin_pairs, lineage_truth)
    lsr, lsp = score(lin_pairs, split_truth)
    rr, rp = score(ren_pairs, split_truth)
    dr, dp = score(dsk_pairs, split_truth)
    out = []
    out.append(f"CPU: {cpu_name()}, {cores} cores; corpus: {len(ids)} Reuters-21578 bodies, {mb:.1f} MB (JSON Lines)\n")
    out.append("| measure | lineage | rensa | datasketch | lineage/rensa | lineage/datasketch |")
    out.append("|---|---|---|---|---|---|")
    out.append(f"| sketch MB/s, 1 thread | {lin1:.1f} | {ren1:.1f} | {dsk1:.2f} | {lin1/ren1:.1f}x | {lin1/dsk1:.0f}x |")
    out.append(f"| sketch MB/s, {cores} cores | {linN:.1f} | {renN:.1f} | {dskN:.2f} | {linN/renN:.1f}x | {linN/dskN:.0f}x |")
    out.append(f"| parallel efficiency ({cores} cores) | {linN/(cores*lin1):.2f} | {renN/(cores*ren1):.2f} | {dskN/(cores*dsk1):.2f} | | |")
    out.append(f"| dedup J>=0.8 wall s (file to pairs) | {lin_dedup:.3f} | {ren_t:.2f} | {dsk_t:.2f} | {ren_t/lin_dedup:.0f}x faster | {dsk_t/lin_dedup:.0f}x faster |")
    out.append(f"| pairs reported | {len(lin_pairs)} | {len(ren_pairs)} | {len(dsk_pairs)} | | |")
    out.append(f"| recall / precision vs exact, split tokens ({len(split_truth)} pairs) | {lsr:.3f} / {lsp:.3f} | {rr:.3f} / {rp:.3f} | {dr:.3f} / {dp:.3f} | | |")
    out.append(f"| recall / precision vs exact, lineage tokens ({len(lineage_truth)} pairs) | {lr:.3f} / {lp:.3f} | | | | |")
    out.append("")
    out.append(f"- datasketch with one `update()` per shingle (its README's loop) instead of `update_batch`: {mb/dsk_loop:.2f} MB/s at 1 thread (lineage/that: {lin1/(mb/dsk_loop):.0f}x)")
    out.append(
        f"- this machine's ceiling for the efficiency: {cores} independent one-thread `lineage sketch` "
        f"runs at once took {together*1000:.1f} ms against {alone*1000:.1f} ms for one alone "
        f"(each does all the work): {ceiling:.2f}"
    )
    out.append(f"- lineage sketch, 1 thread, on the same bodies as {len(ids)} separate files: {mb/lin_files:.1f} MB/s (opening 19k small files costs more than sketching them here)")
    out.append(
        f"- lineage sketch on 4 copies of the JSON Lines file ({4*mb:.0f} MB): "
        + ", ".join(f"{4*mb/t:.0f} MB/s at {w} thread{'s' if w > 1 else ''}" for w, t in big_t.items())
        + f"; parallel efficiency {big_t[1]/(cores*big_t[cores]):.2f}"
        + f" (its ceiling, measured as above: {big_ceiling:.2f})"
    )
    out.append(f"- lineage sketch on linux_doc ({linux_docs} files, {linux_mb:.1f} MB): peak RSS {linux_rss/1024:.1f} MB, {linux_wall:.2f} s")
    out.append(f"- lineage dedup peak RSS: {full_rss/1024:.1f} MB for {len(lines)} documents, {half_rss/1024:.1f} MB for {len(lines)//2}: {per_doc:.0f} bytes/document")
    out.append(f"- datasketch {version('datasketch')}, rensa {version('rensa')}, Python {platform.python_version()}")
    text = "\n".join(out)
    print(text)
    with open(os.path.join(args.work, "results.md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
