#!/usr/bin/env bash
# Reproduces the README's summary figures ("Summaries and rewrites"):
# lineage eval on ../shared/data/summaries/pairs.tsv for the dev split (where
# every parameter was set) and the val split (quoted), the whole file timed
# with score --pairs (all 13,450 pairs, unlabelled ones too), and the archive check of every val summary.
#
# Usage: scripts/summaries_eval.sh [SHARED_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
shared="${1:-$here/../shared}"
cd "$here"
bin=$(scripts/lineage_bin.sh release)
pairs="$shared/data/summaries/pairs.tsv"
for split in dev val; do
    echo "== lineage eval $pairs --split $split"
    "$bin" eval "$pairs" --split "$split"
    echo
done
echo "== lineage score --pairs on every pair of pairs.tsv, one run"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
awk -F'\t' -v root="$shared/data/summaries/" 'NR > 1 { print root $1 "\t" root $2 }' "$pairs" > "$work/pairs.tsv"
start=$(date +%s.%N)
"$bin" score --pairs "$work/pairs.tsv" --format json > "$work/out.jsonl" || true
end=$(date +%s.%N)
echo "$(wc -l < "$work/out.jsonl") pairs in $(python3 -c "print(f'{$end - $start:.2f}')") s"
echo
echo "== archive check (scripts/summaries_check.py)"
python3 scripts/summaries_check.py --lineage "$bin" --shared "$shared"
