#!/usr/bin/env bash
# Installs the system packages the build needs (Debian/Ubuntu): liburing-dev.
set -euo pipefail
missing=()
dpkg -s liburing-dev >/dev/null 2>&1 || missing+=(liburing-dev)
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null
