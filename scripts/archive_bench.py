#!/usr/bin/env python3
"""Synthetic news-like archives with planted copies, and the archive table.

Usage:
  scripts/archive_bench.py generate --seed S --docs N [--work DIR]
  scripts/archive_bench.py run BIN --seed S --sizes 10k,100k,1M [--work DIR]
        [--runs 5] [--reuse-index] [--keep-index] [--add] [--json FILE]
        [--check-args "--min-distinctive 0"]

Reproduces the table of issue 20 (an archive that stays right at millions
of articles) with nothing but the Python standard library and ../shared.

The archive. Every real sentence of the Reuters-21578 bodies and of the
Linux kernel documentation (English prose only: no code blocks, tables,
directives or translations) goes into one pool, in a fixed order, without
repeats. Archived document i of seed S is drawn by its own generator
(seeded with "S:i"): sentences picked at random from the pool until the
text holds about 900 bytes, in paragraphs of two or three sentences. So
every document is a new recombination of real prose, the archive of 10k
documents is the first 10k of the archive of 1M, and any document can be
rebuilt from its number alone. At 1M documents the pool's sentences are
each used by about 25 documents, as stock phrases are in a real archive.

The queries (1,000 by default, a quarter of each kind), each with its truth
(`queries-S-N.truth.jsonl`: id, kind, source):
  copy      an archived document with a few words changed (substituted,
            dropped or swapped with a neighbour);
  excerpt   a contiguous run of 35-65% of an archived document's words;
  summary   three of its sentences, each cut to its main clause, stripped
            of most function words and some content words, a few words
            replaced by a synonym, in another order;
  negative  a new recombination (drawn like an archived document, by a
            number no archived document has): nothing was taken from one
            archived document, though its sentences occur in several.

`run` builds the index of each size with the given release binary
(`lineage index add`, wall time and peak RSS from /usr/bin/time -v), reads
its size per document (`index stats`), checks
one item as a whole process `--runs` times (median wall time, peak RSS),
checks the 1,000 queries in one run (wall time, RSS), and scores the JSON
output (`lineage check --format json`: one `finding` record per finding,
flattened pair report with `derived` and `source`, then a `summary`):
  recall    share of the planted copies / excerpts / summaries whose
            source is among the item's findings;
  spurious  findings naming another archived document, per item (all
            1,000) and per negative. Sentences recur across the archive, so
            some of these are real shared sentences rather than errors;
            they are what a user would have to look at.
  content   recall counting only findings whose candidate came from the
            content-shingle list (`estimated_containment` > 0), not from
            the word list alone: what the distinctiveness gate lets through.
With --add, it then adds 1,000 new documents (numbered after the archive's)
and reports the add's wall time, peak RSS, the bytes it wrote to storage
(wait4's block-output count) and the size of the segment it made.
Files go to --work (default /tmp/archive-work): archive-S-N.jsonl,
queries-S-N.jsonl, the truth and archive-S-N.idx with its segments folder
(deleted after the run unless --keep-index).
"""

import argparse
import html
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "benches", "peers"))
from extract import reuters_bodies  # noqa: E402  (the peer bench's Reuters reader)

TARGET_BYTES = 900
QUERIES_PER_KIND = 250
KINDS = ("copy", "excerpt", "summary", "negative")
# Numbers of negative "documents": far above any archive's size.
NEGATIVE_BASE = 10**10

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
RST_ROLE = re.compile(r":[a-z:]+:`([^`<]*)(?:<[^>]*>)?`")
RST_MARKUP = re.compile(r"``|`_?_?|\*\*|\|")

STOP = set(
    """a an the and or but if of to in on at by for with from as is are was were be been
    being it its this that these those which who whom whose there their they them he she his
    her we our you your i not no so than then also has have had do does did will would
    shall should can could may might must said says about into over under after before
    while when where what how all any each some such very more most other only own same""".split()
)

# A few rewordings a summary writer makes; both directions are applied.
SYNONYMS = dict(
    pair
    for a, b in [
        ("said", "stated"), ("rose", "climbed"), ("fell", "dropped"), ("company", "firm"),
        ("percent", "pct"), ("pct", "percent"), ("shares", "stock"), ("increase", "rise"),
        ("decline", "drop"), ("government", "administration"), ("expected", "forecast"),
        ("billion", "bln"), ("million", "mln"), ("mln", "million"), ("bln", "billion"),
        ("buy", "purchase"), ("sell", "dispose of"), ("agreed", "consented"),
        ("use", "employ"), ("used", "employed"), ("support", "handle"), ("file", "document"),
        ("function", "routine"), ("device", "unit"), ("driver", "module"),
        ("memory", "RAM"), ("enable", "turn on"), ("disable", "turn off"),
        ("value", "setting"), ("system", "machine"), ("user", "operator"),
        ("year", "twelve months"), ("quarter", "three months"), ("profit", "earnings"),
        ("loss", "deficit"), ("price", "cost"), ("prices", "costs"), ("help", "assist"),
    ]
    for pair in ((a, b), (b, a))
)


def reuters_sentences(root):
    for _, body in reuters_bodies(os.path.join(root, "reuters21578")):
        text = " ".join(body.split())
        text = re.sub(r"\s*Reuter\s*$", "", text)
        yield from SENTENCE_END.split(text)


def rst_paragraphs(text):
    """Prose paragraphs of an RST file: no literal blocks, headings,
    directives, tables or comments."""
    literal = False
    para = []
    for line in text.splitlines() + [""]:
        stripped = line.strip()
        if not stripped:
            if para:
                yield " ".join(para)
                para = []
            continue
        if literal:
            if line[:1] in " \t":
                continue
            literal = False
        if (
            stripped.startswith(("..", "+-", "|", "=", "-" * 3, "~~", "^^", "**", "#"))
            or set(stripped) <= set("=-~^*#+`:.'\"_ ")
            or line[:1] in " \t" and not stripped.startswith(("-", "*")) and not para
        ):
            continue
        para.append(stripped.lstrip("-* "))
        if stripped.endswith("::"):
            literal = True
            yield " ".join(para)
            para = []


def kernel_sentences(root):
    base = os.path.join(root, "linux_doc", "rst")
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d != "translations")
        for name in sorted(filenames):
            if not name.endswith(".rst.txt"):
                continue
            with open(os.path.join(dirpath, name), encoding="utf-8", errors="replace") as f:
                text = f.read()
            for para in rst_paragraphs(text):
                para = RST_MARKUP.sub("", RST_ROLE.sub(r"\1", para))
                yield from SENTENCE_END.split(para)


def good(sentence):
    """English prose of a usable length: mostly words, few digits or symbols."""
    if not 40 <= len(sentence) <= 320 or not sentence[-1] in ".!?":
        return False
    if not sentence.isascii():
        return False
    words = sentence.split()
    if len(words) < 7:
        return False
    wordy = sum(1 for w in words if WORD.fullmatch(w.strip(".,;:()\"'!?")))
    if wordy < 0.8 * len(words):
        return False
    return not any(s in sentence for s in ("::", "->", "==", "{", "}", "[", "]", "/*", "<", ">", "_"))


def sentence_pool(shared):
    data = os.path.join(shared, "data")
    seen = set()
    pool = []
    for source in (reuters_sentences(data), kernel_sentences(data)):
        for s in source:
            s = " ".join(s.split())
            if good(s) and s not in seen:
                seen.add(s)
                pool.append(s)
    return pool


def document(pool, seed, number):
    """The text of document `number` of seed `seed`: sentences of the pool
    drawn by a generator of its own, about TARGET_BYTES long."""
    rng = random.Random(f"{seed}:{number}")
    sentences = []
    size = 0
    while size < TARGET_BYTES - 60:
        s = pool[rng.randrange(len(pool))]
        if size and size + len(s) > TARGET_BYTES + 150:
            continue
        sentences.append(s)
        size += len(s) + 1
    paras = []
    i = 0
    while i < len(sentences):
        n = rng.choice((2, 3))
        paras.append(" ".join(sentences[i : i + n]))
        i += n
    return "\n\n".join(paras)


def doc_id(seed, number):
    return f"s{seed}-{number:08d}"


def edited_copy(rng, text, vocabulary):
    words = text.split(" ")
    for _ in range(rng.randint(2, 4)):
        i = rng.randrange(len(words))
        op = rng.random()
        if op < 0.5:
            words[i] = rng.choice(vocabulary)
        elif op < 0.75 and len(words) > 10:
            del words[i]
        elif i + 1 < len(words):
            words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def excerpt(rng, text):
    words = text.split(" ")
    n = max(12, int(len(words) * rng.uniform(0.35, 0.65)))
    start = rng.randrange(max(1, len(words) - n))
    return " ".join(words[start : start + n])


def shorten(rng, sentence):
    """A summary writer's version of one sentence: the main clause, most
    function words and some content words gone, a word or two reworded."""
    s = sentence.rstrip(".!?")
    if "," in s and rng.random() < 0.5:
        parts = s.split(",")
        longest = max(parts, key=len)
        if len(longest.split()) >= 6:
            s = longest
    out = []
    for w in s.split():
        bare = w.strip(",;:()\"'").lower()
        if bare in STOP and rng.random() < 0.6:
            continue
        if bare not in STOP and rng.random() < 0.12:
            continue
        if bare in SYNONYMS and rng.random() < 0.5:
            w = SYNONYMS[bare]
        out.append(w.strip(",;:()\""))
    return " ".join(out[:22]).strip()


def summary(rng, text):
    sentences = [s for s in SENTENCE_END.split(" ".join(text.split())) if s]
    k = min(3, len(sentences))
    picked = sorted(rng.sample(range(len(sentences)), k))
    parts = [shorten(rng, sentences[i]) for i in picked]
    rng.shuffle(parts)
    return ". ".join(p[:1].upper() + p[1:] for p in parts if p) + "."


def write_archive(pool, seed, docs, path):
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as out:
        for i in range(docs):
            out.write(json.dumps({"id": doc_id(seed, i), "text": document(pool, seed, i)}) + "\n")
    os.replace(tmp, path)


def write_queries(pool, seed, docs, path, truth_path):
    rng = random.Random(f"queries:{seed}:{docs}")
    vocabulary = sorted({w for s in pool[:20000] for w in WORD.findall(s)})
    sources = rng.sample(range(docs), 3 * QUERIES_PER_KIND)
    queries = []
    for k, kind in enumerate(KINDS):
        for j in range(QUERIES_PER_KIND):
            qid = f"q-{kind}-{j:04d}"
            if kind == "negative":
                text = document(pool, seed, NEGATIVE_BASE + docs + j)
                source = None
            else:
                number = sources[k * QUERIES_PER_KIND + j]
                original = document(pool, seed, number)
                source = doc_id(seed, number)
                text = {"copy": lambda: edited_copy(rng, original, vocabulary),
                        "excerpt": lambda: excerpt(rng, original),
                        "summary": lambda: summary(rng, original)}[kind]()
            queries.append({"id": qid, "kind": kind, "source": source, "text": text})
    rng.shuffle(queries)
    with open(path, "w", encoding="utf-8") as out, open(truth_path, "w", encoding="utf-8") as truth:
        for q in queries:
            out.write(json.dumps({"id": q["id"], "text": q["text"]}) + "\n")
            truth.write(json.dumps({k: q[k] for k in ("id", "kind", "source")}) + "\n")


def files(work, seed, docs):
    stem = os.path.join(work, f"{{}}-{seed}-{docs}")
    return {
        "archive": stem.format("archive") + ".jsonl",
        "queries": stem.format("queries") + ".jsonl",
        "truth": stem.format("queries") + ".truth.jsonl",
        "index": stem.format("archive") + ".idx",
    }


def generate(shared, work, seed, docs, pool=None):
    f = files(work, seed, docs)
    if os.path.exists(f["archive"]) and os.path.exists(f["truth"]):
        return f
    os.makedirs(work, exist_ok=True)
    pool = pool or sentence_pool(shared)
    start = time.time()
    write_archive(pool, seed, docs, f["archive"])
    write_queries(pool, seed, docs, f["queries"], f["truth"])
    size = os.path.getsize(f["archive"])
    print(f"# generated {docs} documents ({size / docs:.0f} bytes of JSON per document, "
          f"pool of {len(pool)} sentences) in {time.time() - start:.1f} s", file=sys.stderr)
    return f


def timed(cmd, stdout=subprocess.DEVNULL):
    """Runs `cmd` under /usr/bin/time -v: (exit status, wall s, peak RSS MB, stdout)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        start = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-v", "-o", t.name] + cmd,
                           stdout=stdout, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        report = t.read()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    if p.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    return p.returncode, wall, int(rss.group(1)) / 1024 if rss else float("nan"), p.stdout


def remove_index(path):
    """Removes an archive: its manifest, its segments and its lock."""
    for p in (path, path + ".lock"):
        if os.path.exists(p):
            os.remove(p)
    shutil.rmtree(path + ".segments", ignore_errors=True)


def written(cmd):
    """Runs `cmd`: (wall s, peak RSS MB, MB written to storage), from the
    kernel's accounting of the process (wait4's rusage: blocks written,
    which counts what its fsyncs and writeback put on disk)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            err.seek(0)
            sys.exit(f"{' '.join(cmd)} failed: {err.read().decode(errors='replace').strip()}")
    return wall, ru.ru_maxrss / 1024, ru.ru_oublock * 512 / 1e6


def add_new(binary, f, pool, seed, docs, count=1000):
    """Adds `count` new documents (numbers after the archive's) to the
    index: wall, peak RSS, MB written, and the new segment's size."""
    path = os.path.join(os.path.dirname(f["index"]), f"new-{seed}-{docs}.jsonl")
    with open(path, "w", encoding="utf-8") as out:
        for i in range(docs, docs + count):
            out.write(json.dumps({"id": doc_id(seed, i), "text": document(pool, seed, i)}) + "\n")
    segs = f["index"] + ".segments"
    before = set(os.listdir(segs))
    wall, rss, mb = written([binary, "index", "add", "-q", f["index"], path])
    fresh = [os.path.getsize(os.path.join(segs, n)) for n in set(os.listdir(segs)) - before]
    os.remove(path)
    return {"add_s": wall, "add_mb": rss, "add_written_mb": mb,
            "add_segment_mb": sum(fresh) / 1e6, "add_segments": len(fresh)}


def score(output, truth_path):
    truth = {}
    with open(truth_path, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            truth[t["id"]] = t
    found = {qid: set() for qid in truth}
    by_content = {qid: set() for qid in truth}
    for line in output.splitlines():
        r = json.loads(line)
        if r.get("type") != "finding":
            continue
        checked, other = ((r["derived"], r["source"]) if r["checked_is_derived"]
                          else (r["source"], r["derived"]))
        found[checked].add(other)
        if r["estimated_containment"] > 0:
            by_content[checked].add(other)
    recall, content_recall = {}, {}
    for kind in KINDS[:3]:
        items = [t for t in truth.values() if t["kind"] == kind]
        recall[kind] = sum(t["source"] in found[t["id"]] for t in items) / len(items)
        content_recall[kind] = sum(t["source"] in by_content[t["id"]] for t in items) / len(items)
    spurious = sum(len(found[q] - {t["source"]}) for q, t in truth.items())
    negatives = [q for q, t in truth.items() if t["kind"] == "negative"]
    return {
        "recall": recall,
        "content_recall": content_recall,
        "spurious_per_item": spurious / len(truth),
        "spurious_per_negative": sum(len(found[q]) for q in negatives) / len(negatives),
        "negatives_with_finding": sum(bool(found[q]) for q in negatives) / len(negatives),
    }


def measure(binary, f, runs, reuse_index, check_args):
    out = {}
    if not (reuse_index and os.path.exists(f["index"])):
        remove_index(f["index"])
        _, out["build_s"], out["build_mb"], _ = timed(
            [binary, "index", "add", "-q", f["index"], f["archive"]])
    _, _, _, stats = timed([binary, "index", "stats", "--format", "json", f["index"]],
                           stdout=subprocess.PIPE)
    stats = json.loads(stats)
    stats = stats.get("stats", stats)  # nested before the one JSON envelope
    out["bytes_per_doc_without_text"] = stats["bytes_per_doc_without_text"]
    out["segments"] = len(stats["segments"])
    one = os.path.join(os.path.dirname(f["index"]), "one-query.jsonl")
    with open(f["queries"], encoding="utf-8") as src, open(one, "w", encoding="utf-8") as dst:
        dst.write(src.readline())
    walls, rss = [], []
    for _ in range(runs):
        _, w, r, _ = timed([binary, "check", "-q", "--format", "json", *check_args, f["index"], one])
        walls.append(w)
        rss.append(r)
    out["one_s"], out["one_mb"] = statistics.median(walls), max(rss)
    _, out["all_s"], out["all_mb"], text = timed(
        [binary, "check", "-q", "--format", "json", *check_args, f["index"], f["queries"]],
        stdout=subprocess.PIPE)
    # Per item beyond loading the index, which the one-item run measures.
    out["per_item_ms"] = 1000 * max(0.0, out["all_s"] - out["one_s"]) / 999
    out.update(score(text, f["truth"]))
    os.remove(one)
    return out


def table(rows, sizes):
    def fmt(r, key):
        if r is None:
            return "-"
        if key == "build":
            return f"{r['build_s']:.2f} s, {r['build_mb']:.0f} MB" if "build_s" in r else "(reused)"
        if key == "one":
            return f"{r['one_s']:.3f} s, {r['one_mb']:.0f} MB"
        if key == "all":
            return f"{r['all_s']:.2f} s ({r['per_item_ms']:.2f} ms/item), {r['all_mb']:.0f} MB"
        if key in ("recall", "content_recall"):
            return " / ".join(f"{r[key][k]:.3f}" for k in KINDS[:3])
        if key == "spurious":
            return f"{r['spurious_per_item']:.2f} / {r['spurious_per_negative']:.2f}"
        if key == "size":
            return f"{r['bytes_per_doc_without_text']:.0f} B, {r['segments']} segment(s)"
        if key == "add":
            if "add_s" not in r:
                return "-"
            return (f"{r['add_s']:.2f} s, {r['add_mb']:.0f} MB, {r['add_written_mb']:.1f} MB written "
                    f"for a {r['add_segment_mb']:.1f} MB segment")
    lines = ["| archive | " + " | ".join(label(n) for n in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    for key, name in [("build", "`index add` (build): wall, peak RSS"),
                      ("one", "`check` of 1 item, whole process: median wall, peak RSS"),
                      ("all", "`check` of 1,000 items in one run: wall (per item beyond load), peak RSS"),
                      ("recall", "recall: copy / excerpt / summary"),
                      ("content_recall", "of which found by content shingles"),
                      ("spurious", "spurious findings: per item / per negative"),
                      ("size", "index size per document without texts"),
                      ("add", "`index add` of 1,000 new documents: wall, peak RSS, written")]:
        lines.append(f"| {name} | " + " | ".join(fmt(rows.get(n), key) for n in sizes) + " |")
    return "\n".join(lines)


def label(n):
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def parse_size(s):
    s = s.strip().lower()
    mult = {"k": 1000, "m": 1_000_000}.get(s[-1], 1)
    return int(float(s.rstrip("km")) * mult)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write an archive, its queries and their truth")
    g.add_argument("--docs", type=parse_size, required=True)
    r = sub.add_parser("run", help="generate what is missing, build, check, print the table")
    r.add_argument("binary", help="a release build of lineage")
    r.add_argument("--sizes", default="10k,100k,1M")
    r.add_argument("--runs", type=int, default=5, help="runs of the one-item check (median)")
    r.add_argument("--reuse-index", action="store_true",
                   help="keep an index built before (no build figures)")
    r.add_argument("--keep-index", action="store_true", help="do not delete the index afterwards")
    r.add_argument("--check-args", default="", help="extra arguments for lineage check")
    r.add_argument("--json", help="also write the figures to this file")
    r.add_argument("--add", action="store_true",
                   help="last, add 1,000 new documents to each index (it then holds them: "
                        "with --keep-index, delete it before another run)")
    for p in (g, r):
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--work", default="/tmp/archive-work")
        p.add_argument("--shared", default=os.path.join(HERE, "..", "..", "shared"))
    args = ap.parse_args()
    if args.command == "generate":
        generate(args.shared, args.work, args.seed, args.docs)
        return
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    pool = None
    rows = {}
    for n in sizes:
        f = files(args.work, args.seed, n)
        if not os.path.exists(f["truth"]):
            pool = pool or sentence_pool(args.shared)
            generate(args.shared, args.work, args.seed, n, pool)
        rows[n] = measure(args.binary, f, args.runs, args.reuse_index, args.check_args.split())
        if args.add:
            pool = pool or sentence_pool(args.shared)
            rows[n].update(add_new(args.binary, f, pool, args.seed, n))
        print(f"# {label(n)}: {json.dumps(rows[n])}", file=sys.stderr)
        if not args.keep_index:
            remove_index(f["index"])
    print(f"seed {args.seed}, {os.path.basename(args.binary)}, {cpu()}")
    print(table(rows, sizes))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"seed": args.seed, "cpu": cpu(), "rows": rows}, out, indent=1)


def cpu():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
