#!/usr/bin/env bash
# Runs the runtime microbenchmarks (Benchmarks/Benchmarks/RuntimeBenchmarks, package-benchmark)
# and checks them against the p90 thresholds checked in under Benchmarks/Thresholds/.
#
# The check fails when an allocation count rises (by more than 0.05 allocations per
# operation) or an operation gets ten times slower; the tolerances are in
# RuntimeBenchmarkThresholds.swift. package-benchmark also fails a check whose results are
# better than the thresholds. For allocations this script keeps that failure, so that a
# saving is recorded (--update-thresholds) before it can be lost again unnoticed; for time
# it only reports it, since a run on a quieter machine than the recording is faster.
#
#   scripts/microbench.sh                      run, then check
#   scripts/microbench.sh --update-thresholds  run and store new thresholds instead
#
# The first run builds package-benchmark and the root package in release mode (several
# minutes on two cores); each later run takes about a minute.
set -euo pipefail
root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cd "$root"
# Absolute: package-benchmark resolves a relative --path against the working directory.
thresholds="$root/Benchmarks/Thresholds"

update=false
case "${1:-}" in
    "") ;;
    --update-thresholds) update=true ;;
    *)
        echo "usage: $0 [--update-thresholds]" >&2
        exit 64
        ;;
esac

scripts/install-deps.sh

if $update; then
    swift package --package-path Benchmarks --allow-writing-to-package-directory \
        benchmark thresholds update --path "$thresholds" --no-progress
    exit 0
fi

swift package --package-path Benchmarks benchmark --no-progress

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
swift package --package-path Benchmarks benchmark thresholds check --path "$thresholds" --no-progress \
    2>&1 | tee "$log" || status=$?
if [ "$status" -ne 0 ]; then
    # The plugin turns both verdicts into the same exit status: tell them apart by its words.
    # Improvements are printed after regressions, each table headed by its benchmark.
    if grep -q "is BETTER than the defined thresholds" "$log" && ! grep -q "is WORSE than" "$log"; then
        if sed -n '/Deviations better than threshold/,$p' "$log" | grep -q "Malloc"; then
            echo "microbench.sh: fewer allocations than stored: run" \
                "scripts/microbench.sh --update-thresholds and commit Benchmarks/Thresholds" >&2
            exit 1
        fi
        echo "microbench.sh: faster than the stored thresholds (time is only checked for" \
            "ten-fold regressions)" >&2
        exit 0
    fi
    echo "microbench.sh: thresholds check failed" >&2
    exit "$status"
fi
