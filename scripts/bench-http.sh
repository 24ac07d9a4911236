#!/usr/bin/env bash
# The HTTP suite (`scripts/bench.sh` runs it with the others): `uring-bench http-run`, which
# loads async-uring (uring-bench http-server), the Hummingbird peers and nginx with wrk
# (-t1), server pinned to CPU 0 and wrk to CPU 1, in the shapes c64, c256, c256p16 (16
# pipelined) and close, and prints a table of medians with ratios to nginx.
#
# Installs liburing-dev, wrk and nginx-light when missing (exit status 69 when they cannot
# be had), builds uring-bench and the Benchmarks package's HTTP peers in release mode
# (--static-swift-stdlib), then runs it. Extra arguments go to http-run, e.g.
# `scripts/bench-http.sh --servers nginx,hummingbird-nio --repetitions 5 --json http-runs.json`.
set -euo pipefail
root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cd "$root"

scripts/install-deps.sh wrk nginx-light:nginx

echo "bench-http.sh: building uring-bench (release, --static-swift-stdlib)" >&2
swift build -c release --static-swift-stdlib --product uring-bench >&2
for product in hummingbird-nio-http hummingbird-uring-http; do
    echo "bench-http.sh: building $product (release, --static-swift-stdlib)" >&2
    swift build -c release --static-swift-stdlib --package-path Benchmarks --product "$product" >&2
done
exec "$(swift build -c release --show-bin-path)/uring-bench" http-run \
    --nio-bin "$(swift build -c release --package-path Benchmarks --show-bin-path)" "$@"
