#!/usr/bin/env bash
# Runs the test suite: installs liburing-dev when missing, then `swift test` with warnings
# as errors. Tests run one at a time (--no-parallel) because several check, by counting
# /proc/self/fd, that they leaked no descriptor. Extra arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift test --no-parallel -Xswiftc -warnings-as-errors "$@"
