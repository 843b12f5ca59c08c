#!/usr/bin/env bash
# Peer benchmark: lineage vs rensa vs datasketch on the same files, in one run.
# Usage: benches/peers/run.sh   (from anywhere; expects ../shared beside the repo)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}"
WORK="$HERE/work"
VENV="$HERE/.venv"

for d in "$SHARED/data/reuters21578" "$SHARED/data/linux_doc/rst"; do
    [ -d "$d" ] || { echo "run.sh: $d not found (set SHARED=/path/to/shared)" >&2; exit 2; }
done
if [ ! -x /usr/bin/time ]; then
    echo "run.sh: installing GNU time for peak-memory measurements" >&2
    apt-get update -qq && apt-get install -y -qq time >/dev/null
fi
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check datasketch rensa

lineage=$("$REPO/scripts/lineage_bin.sh" release)
mkdir -p "$WORK"
if [ ! -s "$WORK/reuters.jsonl" ]; then
    "$VENV/bin/python" "$HERE/extract.py" "$SHARED/data/reuters21578" "$WORK/reuters" "$WORK/reuters.jsonl"
fi
"$VENV/bin/python" "$HERE/peers.py" --lineage "$lineage" \
    --work "$WORK" --linux-doc "$SHARED/data/linux_doc/rst" "$@"
