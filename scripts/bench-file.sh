#!/usr/bin/env bash
# The file suite (`scripts/bench.sh` runs it with the others): `uring-bench file-run`, random
# reads through the runtime against fio on the same file, written as BenchResults JSON (suite
# "file", fio the yardstick).
#
# Installs liburing-dev and fio when missing and builds uring-bench in release mode
# (--static-swift-stdlib). Exit status 69 when fio cannot be had or this uring-bench has no
# `file-run`. Extra arguments go to `uring-bench file-run`, e.g.
# `scripts/bench-file.sh --json file-runs.json`.
set -euo pipefail
root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cd "$root"

scripts/install-deps.sh fio:fio

echo "bench-file.sh: building uring-bench (release, --static-swift-stdlib)" >&2
swift build -c release --static-swift-stdlib --product uring-bench >&2
bench="$(swift build -c release --show-bin-path)/uring-bench"
# `uring-bench UNKNOWN --help` succeeds too: the list of subcommands is what tells.
if ! "$bench" --help | grep -qE '^  file-run( |$)'; then
    echo "bench-file.sh: this uring-bench has no file-run subcommand; the file suite cannot run" >&2
    exit 69
fi
exec "$bench" file-run "$@"
