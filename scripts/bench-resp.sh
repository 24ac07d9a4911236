#!/usr/bin/env bash
# The RESP suite (`scripts/bench.sh` runs it with the others): the example-resp server
# against redis-server, both loaded by redis-benchmark (-t ping_inline,ping_mbulk,set,get
# -c 50, with and without -P 16), server pinned to CPU 0 and redis-benchmark to CPU 1, and
# prints a table of medians of paired runs.
#
# Installs liburing-dev, redis-server and redis-tools when missing (exit status 69 when they
# cannot be had), builds example-resp in release mode, then runs scripts/resp-bench.py.
# Extra arguments go to it, e.g.
# `scripts/bench-resp.sh --repetitions 5 --json resp-runs.json`.
set -euo pipefail
root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cd "$root"

scripts/install-deps.sh redis-server:redis-server redis-tools:redis-benchmark

echo "bench-resp.sh: building example-resp (release, --static-swift-stdlib)" >&2
swift build -c release --static-swift-stdlib --product example-resp >&2
exec python3 scripts/resp-bench.py --example-resp "$(swift build -c release --show-bin-path)/example-resp" "$@"
