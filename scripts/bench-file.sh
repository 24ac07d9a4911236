#!/usr/bin/env bash
# The file suite (`scripts/bench.sh` runs it with the others): `uring-bench file-run`, random
# reads through the runtime against fio on the same file, written as BenchResults JSON (suite
# "file", fio the yardstick).
#
# Installs liburing-dev and fio when missing and builds uring-bench in release mode
# (--static-swift-stdlib) and the NIOFileSystem peer (Benchmarks' nio-file-read). Exit status
# 69 when fio cannot be had. Extra arguments go to `uring-bench file-run`, e.g.
# `scripts/bench-file.sh --json file-runs.json`.
set -euo pipefail
root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cd "$root"

scripts/install-deps.sh fio:fio

echo "bench-file.sh: building uring-bench (release, --static-swift-stdlib)" >&2
swift build -c release --static-swift-stdlib --product uring-bench >&2
bench="$(swift build -c release --show-bin-path)/uring-bench"
echo "bench-file.sh: building nio-file-read (release, --static-swift-stdlib)" >&2
swift build -c release --static-swift-stdlib --package-path Benchmarks --product nio-file-read >&2
exec "$bench" file-run --nio-bin "$(swift build -c release --package-path Benchmarks --show-bin-path)" "$@"
