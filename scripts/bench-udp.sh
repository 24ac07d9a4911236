#!/usr/bin/env bash
# The UDP suite (`scripts/bench.sh` runs it with the others): `uring-bench run --udp`, which
# measures async-uring-udp on each driver, the SwiftNIO peer nio-udp-echo and the C
# yardstick udp_echo, loaded by the C udp_loadgen (both built from shared/bench into
# .build-yardsticks/; SHARED_BENCH overrides where the sources are), and prints a table of
# medians.
#
# Installs liburing-dev when missing and builds uring-bench and nio-udp-echo in release mode
# (--static-swift-stdlib). Without the C sources the suite has no load: exit status 69.
# Extra arguments go to `uring-bench run --udp`, e.g.
# `scripts/bench-udp.sh --cases 16:64 --repetitions 5 --json udp-runs.json`.
set -euo pipefail
root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cd "$root"
shared_bench="${SHARED_BENCH:-$root/../shared/bench}"

scripts/install-deps.sh
if [ ! -f "$shared_bench/udp_loadgen.c" ] || [ ! -f "$shared_bench/udp_echo.c" ]; then
    echo "bench-udp.sh: no udp_loadgen.c and udp_echo.c in $shared_bench (set SHARED_BENCH);" \
        "the UDP suite cannot run without its load generator" >&2
    exit 69
fi

echo "bench-udp.sh: building uring-bench and nio-udp-echo (release, --static-swift-stdlib)" >&2
swift build -c release --static-swift-stdlib --product uring-bench >&2
swift build -c release --static-swift-stdlib --package-path Benchmarks --product nio-udp-echo >&2
exec "$(swift build -c release --show-bin-path)/uring-bench" run --udp \
    --c-sources "$shared_bench" --c-yardsticks .build-yardsticks \
    --nio-bin "$(swift build -c release --package-path Benchmarks --show-bin-path)" "$@"
