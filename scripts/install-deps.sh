#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the build needs (liburing-dev) and, when named, those a
# benchmark needs, each only when missing:
#
#   scripts/install-deps.sh                       liburing-dev
#   scripts/install-deps.sh chromium              liburing-dev and chromium (scripts/test.sh:
#                                                 the report's browser test)
#   scripts/install-deps.sh wrk nginx-light:nginx liburing-dev, wrk, and nginx-light unless
#                                                 an nginx is already installed
#
# PACKAGE:COMMAND counts the package as present when COMMAND is on PATH or in /usr/sbin
# (another package may provide it); a bare PACKAGE when dpkg has it installed.
# Exit status 69 (EX_UNAVAILABLE) when a missing package cannot be installed (no apt-get, not
# root and no sudo, the package unknown or the download failing), with a line on stderr that
# names them: the benchmark scripts skip a suite on it.
set -euo pipefail

is_present() {
    local package="${1%%:*}" command=""
    [[ "$1" == *:* ]] && command="${1#*:}"
    if [ -n "$command" ]; then
        command -v "$command" >/dev/null 2>&1 || [ -x "/usr/sbin/$command" ]
    else
        dpkg -s "$package" >/dev/null 2>&1
    fi
}

missing=()
for wanted in liburing-dev "$@"; do
    is_present "$wanted" || missing+=("${wanted%%:*}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

unavailable() {
    echo "install-deps.sh: cannot install ${missing[*]}: $1" >&2
    exit 69
}
command -v apt-get >/dev/null 2>&1 || unavailable "no apt-get here; install them by hand"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || unavailable "not root and no sudo"
    sudo="sudo"
fi
echo "install-deps.sh: installing ${missing[*]}" >&2
$sudo apt-get -o DPkg::Lock::Timeout=300 update -qq || unavailable "apt-get update failed"
DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null ||
    unavailable "apt-get install failed"
