#!/usr/bin/env bash
# Builds the libFuzzer target of the HTTP request parser (Fuzz/http-parser-fuzz, a target of
# this package only when ASYNC_URING_FUZZ=1, since it links only with -sanitize=fuzzer) with
# AddressSanitizer, and runs it for a bounded time on a copy of the seed corpus in
# Fuzz/corpus. A crash leaves its input as crash-* in .build-fuzz/artifacts and fails.
#
#   scripts/fuzz.sh [SECONDS]      default 60
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
scripts/install-deps.sh
ASYNC_URING_FUZZ=1 swift build -c release --scratch-path .build-fuzz --product http-parser-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
binary="$(ASYNC_URING_FUZZ=1 swift build -c release --scratch-path .build-fuzz --show-bin-path)/http-parser-fuzz"
# The corpus libFuzzer grows stays out of the tree; the committed seeds are only read.
work=.build-fuzz/corpus
artifacts=.build-fuzz/artifacts
mkdir -p "$work" "$artifacts"
"$binary" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$work" Fuzz/corpus
