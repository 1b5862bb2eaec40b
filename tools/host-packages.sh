#!/usr/bin/env bash
# host-packages.sh PACKAGE... -- install Debian packages on this machine (as root), one
# apt at a time: .ci/run runs tools/arm64-emulate.sh and tools/sid-chroot.sh side by side,
# and apt refuses to start while another apt holds its lock.
set -euo pipefail
[ $# -gt 0 ] || { echo "host-packages: no package given" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "host-packages: needs root to install $*" >&2; exit 1; }
exec flock /var/lib/apt/stackful-host-packages.lock bash -c \
    'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null' \
    bash "$@"
