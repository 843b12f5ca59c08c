#!/usr/bin/env bash
# A battery of lineage commands whose outputs must not change when code
# only moves (issue 18): prints one sha256 per output. Run it with the
# binary of each commit and diff the two listings:
#
#   scripts/golden.sh OLD_BINARY > old.sum
#   scripts/golden.sh NEW_BINARY > new.sum
#   diff old.sum new.sum && echo same
#
# Covers score (every format, several sources, a pair list), eval on the
# summaries' val split, sketch of the Reuters JSON Lines (native and
# Parquet, read back by pyarrow when it is installed, at 1 and 2 threads,
# and gzip), dedup (sketch, corpus, containment), index add/stats and
# check in every format, an HTML page and a feed. Needs ../shared beside
# the repository. Standard error (timings, paths) is not compared.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
shared="$(cd "$here/../shared" && pwd)"
L="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
work="${GOLDEN_WORK:-${TMPDIR:-/tmp}/lineage-golden}"
out="$work/out"
rm -rf "$out"
mkdir -p "$out"
if [ ! -s "$work/reuters.jsonl" ]; then
    python3 "$here/benches/peers/extract.py" "$shared/data/reuters21578" "$work/reuters" "$work/reuters.jsonl" >/dev/null
fi
gzip -c "$work/reuters.jsonl" > "$work/reuters.jsonl.gz"
R="$work/reuters.jsonl"
cd "$here"
run() { name=$1; shift; set +e; "$@" > "$out/$name.out" 2> "$out/$name.err"; echo $? > "$out/$name.rc"; set -e; }
for f in text json; do run "score_$f" "$L" score samples/rewrite.txt samples/original.txt --format $f; done
run score_multi "$L" score samples/rewrite.txt samples/original.txt samples/reuters-acq.txt samples/reuters-crude.txt --format json
run score_tseng "$L" score samples/reuters-tseng-corrected.txt samples/reuters-tseng.txt --format json
printf 'samples/rewrite.txt\tsamples/original.txt\nsamples/reuters-tseng-corrected.txt\tsamples/reuters-tseng.txt\nsamples/reuters-acq.txt\tsamples/reuters-crude.txt\n' > "$work/pairs.tsv"
run pairs "$L" score --pairs "$work/pairs.tsv" --format json
run eval_summaries "$L" eval "$shared/data/summaries/pairs.tsv" --split val
for t in 1 2; do
    run "sketch_n$t" "$L" sketch "$R" -o "$out/s$t.lfp" --threads $t
    run "sketch_p$t" "$L" sketch "$R" -o "$work/s$t.parquet" --threads $t
    run "sketch_gz$t" "$L" sketch "$work/reuters.jsonl.gz" -o "$out/g$t.lfp" --threads $t
done
run dedup_json "$L" dedup "$out/s1.lfp" --format json
run dedup_text "$L" dedup "$out/s1.lfp"
run dedup_corpus "$L" dedup "$R" --format json --threshold 0.7 --keep "$out/keep.txt"
run dedup_containment "$L" dedup "$R" --format json --containment 0.8
run index_add "$L" index add "$out/a.idx" samples/original.txt samples/reuters-acq.txt samples/reuters-crude.txt samples/reuters-grain.txt samples/reuters-ship.txt samples/reuters-tseng.txt
run index_reuters "$L" index add "$out/r.idx" "$R"
for f in text json sarif junit github; do run "check_$f" "$L" check "$out/a.idx" samples/rewrite.txt samples/reuters-tseng-corrected.txt --format $f; done
head -300 "$R" > "$work/q.jsonl"
run check_reuters "$L" check "$out/r.idx" "$work/q.jsonl" --format json
run html_score "$L" score tests/data/web/next2games.de.anno.html samples/original.txt --format json
run feed_sketch "$L" sketch tests/data/web/uolNoticias.rss -o "$out/feed.lfp"
if python3 -c "import pyarrow" 2>/dev/null; then
    for t in 1 2; do
        python3 - "$work/s$t.parquet" > "$out/parquet$t.readback" <<'PY'
import hashlib, json, sys
import pyarrow.parquet as pq
path = sys.argv[1]
table = pq.read_table(path)
meta = pq.read_metadata(path).metadata or {}
doc = {"schema": str(table.schema), "kv": {k.decode(): v.decode() for k, v in meta.items()},
       "data": {c: table.column(c).to_pylist() for c in table.column_names}}
print(hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest())
PY
    done
fi
# Outputs that name the work folder are the same whatever it is.
cd "$out" && for f in $(ls | grep -v '\.err$' | sort); do
    echo "$(sed "s#$work#WORK#g" "$f" | sha256sum | cut -d' ' -f1) $f"
done
