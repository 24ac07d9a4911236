#!/usr/bin/env bash
# Installs the system packages the build needs (Debian/Ubuntu): liburing-dev, and the
# packages named as arguments when they are missing (scripts/test.sh asks for chromium, in
# which the benchmark report's test renders the report).
set -euo pipefail
missing=()
for package in liburing-dev "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null
