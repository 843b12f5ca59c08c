#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, one after
# another, with the limits of the acceptance run: no crash, no input slower
# than 10 s, no more than 1 GB of memory.
#
#   fuzz/run.sh 600                # ten minutes per target
#   fuzz/run.sh 5 jsonl html       # a smoke run of two targets
#   FUZZ_SEED=1 fuzz/run.sh 5      # the same mutations every time (CI)
#
# Needs the nightly toolchain and cargo-fuzz
# (`cargo +nightly install cargo-fuzz --locked`). Each target starts from
# its seeds in fuzz/seeds/ (plus samples/ and tests/data/reliability/
# where they fit) and keeps what it finds in fuzz/corpus/ (not committed).
# A crash is saved under fuzz/artifacts/TARGET/, the other targets still
# run, and the script exits 1;
# turn it into a test in tests/errors.rs (or the module's tests) once fixed.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
cargo +nightly fuzz build >/dev/null
failed=0
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    extra=()
    case "$target" in
        text | score_pair) extra=(../samples) ;;
        input_file) extra=(../samples ../tests/data/web ../tests/data/parquet) ;;
        parquet_sketch | parquet_clusters) extra=(../tests/data/reliability) ;;
    esac
    log=$(mktemp)
    if ! cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" "${extra[@]}" -- \
        -max_total_time="$seconds" -seed="${FUZZ_SEED:-0}" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
        >"$log" 2>&1; then
        grep -v '^ *#[0-9]* 0x\|^ *at ' "$log" | grep -B2 -A12 'ERROR\|panicked' | head -40 >&2
        echo "fuzz: $target FAILED (see fuzz/artifacts/$target/)" >&2
        failed=1
        continue
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    printf '%-18s %12s executions in %ss, peak RSS %s MB\n' "$target" "$runs" "$seconds" "$rss"
    rm -f "$log"
done
exit "$failed"
