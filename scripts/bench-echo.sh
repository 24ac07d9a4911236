#!/usr/bin/env bash
# The echo suite: our server against the SwiftNIO peers and the C yardsticks, all loaded by
# the neutral C load generator; prints a table of medians. `scripts/bench.sh` runs it with the
# other suites; run it alone to pass `uring-bench run` options.
#
# Installs liburing-dev when missing, builds the root package and Benchmarks/ in release
# mode, builds the C programs of shared/bench (SHARED_BENCH overrides where they are) into
# .build-yardsticks/, then runs `uring-bench run`. Extra arguments go to `uring-bench run`,
# e.g. `scripts/bench-echo.sh --cases 50:64 --repetitions 5 --json runs.json`.
#
# Defaults: 3 repetitions x 4 cases x 6 servers x (1 s warm-up + 3 s) = about 5 minutes of
# load, plus the builds.
set -euo pipefail
root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cd "$root"
shared_bench="${SHARED_BENCH:-$root/../shared/bench}"
yardsticks=.build-yardsticks

scripts/install-deps.sh

# Statically linked Swift runtime, for every Swift server alike: with the shared
# libswift_Concurrency each access to the runtime's thread-local state (current task,
# executor) is a __tls_get_addr call; static linking saves our echo server 4-13% of its
# CPU per round trip (50:64, paired runs).
echo "bench-echo.sh: building release (--static-swift-stdlib)" >&2
swift build -c release --static-swift-stdlib --product uring-bench >&2
for peer in nio-echo-handler nio-echo-async; do
    swift build -c release --static-swift-stdlib --package-path Benchmarks --product "$peer" >&2
done

run_args=()
mkdir -p "$yardsticks"
if [ -f "$shared_bench/loadgen.c" ]; then
    echo "bench-echo.sh: building the C yardsticks from $shared_bench" >&2
    cc -O2 -o "$yardsticks/loadgen" "$shared_bench/loadgen.c" -lpthread
    cc -O2 -o "$yardsticks/echo_uring" "$shared_bench/echo_uring.c" -luring
    cc -O2 -o "$yardsticks/echo_epoll" "$shared_bench/echo_epoll.c"
    run_args+=(--c-yardsticks "$yardsticks" --loadgen c --loadgen-bin "$yardsticks/loadgen")
else
    echo "bench-echo.sh: note: no C sources in $shared_bench (set SHARED_BENCH); skipping the C" \
        "yardsticks and loading with uring-bench echo-client instead" >&2
fi

exec "$(swift build -c release --show-bin-path)/uring-bench" run "${run_args[@]}" "$@"
