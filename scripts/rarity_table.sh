#!/usr/bin/env bash
# Rebuilds src/compare/rarity/en.tsv, the background model of word rarity shipped in
# the binary: document frequencies of stemmed English content words in the
# 19,043 Reuters-21578 bodies (../shared/data/reuters21578).
#
# Usage: scripts/rarity_table.sh [SHARED_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
shared="${1:-$here/../shared}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 "$here/benches/peers/extract.py" "$shared/data/reuters21578" "$work/reuters" "$work/reuters.jsonl"
cd "$here"
cargo run --quiet --release --example rarity_table -- "$work/reuters.jsonl" > "$work/en.tsv"
mv "$work/en.tsv" "$here/src/compare/rarity/en.tsv"
wc -l "$here/src/compare/rarity/en.tsv"
