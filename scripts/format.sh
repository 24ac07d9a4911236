#!/usr/bin/env bash
# Formats the Swift sources in place with the toolchain's `swift format` and the rules in
# .swift-format (4 spaces, 120 columns, like swift-nio's).
#
#   scripts/format.sh              format every tracked .swift file in place
#   scripts/format.sh --lint       only lint; exits non-zero when there are findings (or a
#                                  Synchronization.Mutex outside Benchmarks/)
#   scripts/format.sh [--lint] FILE...   the same, for the given files only
set -euo pipefail
cd "$(dirname "$0")/.."

lint=false
if [ "${1:-}" = "--lint" ]; then
    lint=true
    shift
fi

if [ $# -gt 0 ]; then
    files=("$@")
else
    # Tracked and new (not ignored) files, so that build folders are never touched.
    mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.swift')
fi
[ ${#files[@]} -eq 0 ] && exit 0

if $lint; then
    # The package's shared state is behind AsyncUring's `Locked`: a contended
    # Synchronization.Mutex is invisible to ThreadSanitizer (see Locked.swift).
    if grep -nE '\bMutex(<|\()' "${files[@]}" | grep -v '^Benchmarks/'; then
        echo "use Locked (AsyncUring) instead of Synchronization.Mutex" >&2
        exit 1
    fi
    # --strict: findings are errors, so the exit status is non-zero when there are any.
    swift format lint --strict --parallel --configuration .swift-format "${files[@]}"
else
    swift format format --in-place --parallel --configuration .swift-format "${files[@]}"
fi
