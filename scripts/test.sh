#!/usr/bin/env bash
# Runs the test suite: installs liburing-dev and chromium (the benchmark report's test
# renders the report in it) when missing, then `swift test` with warnings as errors, of the
# root package and then of the Hummingbird adapter package (AsyncUringHummingbird/, a
# package of its own; its first build takes several minutes). Tests run one at a time
# (--no-parallel) because several check, by counting /proc/self/fd, that they leaked no
# descriptor. Each package's suite runs twice: on io_uring, then with the epoll readiness
# driver forced (ASYNC_URING_DRIVER=epoll), which hosts that refuse io_uring run on. Extra
# arguments go to every `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh chromium
for driver in io_uring epoll; do
    echo "== tests on the $driver driver" >&2
    ASYNC_URING_DRIVER=$driver swift test --no-parallel -Xswiftc -warnings-as-errors "$@"
    ASYNC_URING_DRIVER=$driver swift test --package-path AsyncUringHummingbird --no-parallel \
        -Xswiftc -warnings-as-errors "$@"
done
