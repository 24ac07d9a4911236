#!/usr/bin/env bash
# Runs the test suite: installs liburing-dev when missing, then `swift test` with warnings
# as errors, of the root package and then of the Hummingbird adapter package
# (AsyncUringHummingbird/, a package of its own; its first build takes several minutes).
# Tests run one at a time (--no-parallel) because several check, by counting
# /proc/self/fd, that they leaked no descriptor. Extra arguments go to both `swift test`s.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift test --no-parallel -Xswiftc -warnings-as-errors "$@"
swift test --package-path AsyncUringHummingbird --no-parallel -Xswiftc -warnings-as-errors "$@"
