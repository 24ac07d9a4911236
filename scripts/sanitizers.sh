#!/usr/bin/env bash
# Runs the test suite under ThreadSanitizer and then AddressSanitizer, each in its own
# build folder (.build-tsan, .build-asan), one test at a time as scripts/test.sh does.
# Any report fails the run: TSan exits non-zero after a data race, ASan stops at the first
# memory error.
#
#   scripts/sanitizers.sh                 # both
#   SANITIZERS=thread scripts/sanitizers.sh
#   scripts/sanitizers.sh --filter PressureTests   # extra arguments go to `swift test`
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

# halt_on_error: stop at the first report, so it is the last thing in the log. Nothing is
# suppressed: the package's lock (AsyncUring's `Locked`) is a pthread mutex, which the
# sanitizer sees, where a contended Synchronization.Mutex would read as a race.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
# Leak checking stays off: the Swift runtime keeps its metadata caches and the
# process-wide ring group alive until exit, by design; leaks of our own objects are
# checked by the tests (weak references, descriptor counts).
export ASAN_OPTIONS="detect_leaks=0 halt_on_error=1 ${ASAN_OPTIONS:-}"

for sanitizer in ${SANITIZERS:-thread address}; do
    case $sanitizer in
    thread) scratch=.build-tsan ;;
    address) scratch=.build-asan ;;
    *) echo "unknown sanitizer '$sanitizer' (thread, address)" >&2 && exit 2 ;;
    esac
    echo "== swift test --sanitize=$sanitizer ($scratch)" >&2
    start=$(date +%s)
    swift test --no-parallel --sanitize="$sanitizer" --scratch-path "$scratch" "$@"
    echo "== --sanitize=$sanitizer passed in $(($(date +%s) - start)) s" >&2
done
