#!/usr/bin/env bash
# Builds the lineage binary and prints its path, wherever cargo puts its
# target directory (CARGO_TARGET_DIR, a workspace's, or ./target):
#
#   bin=$(scripts/lineage_bin.sh)          # release build
#   bin=$(scripts/lineage_bin.sh debug)    # debug build
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-release}" in
    release) cargo build --release --quiet --bin lineage; profile=release ;;
    debug) cargo build --quiet --bin lineage; profile=debug ;;
    *) echo "usage: scripts/lineage_bin.sh [release|debug]" >&2; exit 2 ;;
esac
target=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
echo "$target/$profile/lineage"
