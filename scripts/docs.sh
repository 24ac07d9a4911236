#!/usr/bin/env bash
# Builds the DocC documentation of the library modules with swift-docc-plugin, treating
# every DocC warning (a broken symbol link, an undocumented parameter) as an error.
#
#   scripts/docs.sh                 AsyncUring, AsyncUringSocket, AsyncUringNIO and AsyncUringHTTP
#   scripts/docs.sh TARGET...       only these targets
#
# The archives land in .build-docs/plugins/Swift-DocC/outputs/TARGET.doccarchive; to browse
# one, `swift package --scratch-path .build-docs --disable-sandbox preview-documentation
# --target TARGET`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(AsyncUring AsyncUringSocket AsyncUringNIO AsyncUringHTTP)

# One invocation for every target: a later invocation would remove the earlier archives.
target_options=()
for target in "${targets[@]}"; do target_options+=(--target "$target"); done
swift package --scratch-path .build-docs generate-documentation "${target_options[@]}" --warnings-as-errors
