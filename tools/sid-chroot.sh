#!/usr/bin/env bash
# sid-chroot.sh -- a Debian sid chroot with CPython 3.14 and 3.15, for building and
# testing stackful on the CPythons this machine's own Debian does not ship.
#
#   tools/sid-chroot.sh create              make the chroot (reused when it exists)
#   tools/sid-chroot.sh run [--] CMD ...    run CMD inside it (creates it first if needed)
#   tools/sid-chroot.sh path                print the chroot's directory
#
# The chroot lives outside the repository: $STACKFUL_SID_DIR, default /var/tmp/stackful-sid.
# `run` works in a private mount namespace (nothing stays mounted afterwards), with the
# repository bind-mounted at the same absolute path and the working directory kept when it
# is inside the repository, so `cd "$repo" && tools/sid-chroot.sh run -- python3.14 -m
# pytest` behaves as outside. /proc, /dev, /dev/shm and a fresh /tmp are mounted; the
# package indexes of this machine (/opt/pypi, /opt/pypi-more, /opt/wheels) are bind-mounted
# when present, and DNS, the CA bundle and pip configuration are copied in on every
# run. Needs root.
#
# Example (what CI does):
#   tools/sid-chroot.sh run -- python3.14 -m venv /tmp/venv314
#   tools/sid-chroot.sh run -- /tmp/venv314/bin/pip install '.[test]'
#   tools/sid-chroot.sh run -- /tmp/venv314/bin/python -m pytest -q
# (/tmp inside the chroot is the chroot's own /tmp, kept between runs.)
set -euo pipefail

DIR=${STACKFUL_SID_DIR:-/var/tmp/stackful-sid}
# The Debian archive this machine's apt already uses (its first deb822 or one-line
# source that is not the security archive); override with STACKFUL_SID_MIRROR.
apt_mirror() {
    { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources || true
      grep -hs '^deb ' /etc/apt/sources.list || true; } \
        | awk '{print $2}' | { grep -v -- '-security' || true; } | head -n 1
}
MIRROR=${STACKFUL_SID_MIRROR:-$(apt_mirror)}
PYTHONS=(python3.14 python3.15)
PACKAGES=python3.14,python3.14-dev,python3.14-venv,python3.15,python3.15-dev,python3.15-venv,gcc,libc6-dev,ca-certificates
# sid's Release file is only valid for a week after it was signed, and a snapshot of the
# archive may be older than that: apt must not refuse it (the packages are still checked
# against the signed Release's hashes).
APT_OPTS=(-o Acquire::Check-Valid-Until=false)
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

die() { echo "sid-chroot: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot and mounts need it)"

# A chroot made before a Python was added to PYTHONS gets it installed.
add_missing_pythons() {
    local missing=() py
    for py in "${PYTHONS[@]}"; do
        { [ -x "$DIR/usr/bin/$py" ] && [ -f "$DIR/usr/include/$py/Python.h" ] &&
          [ -d "$DIR/usr/lib/$py/venv" ]; } || missing+=("$py" "$py-dev" "$py-venv")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "sid-chroot: installing ${missing[*]}" >&2
    sync_config
    chroot "$DIR" /usr/bin/env DEBIAN_FRONTEND=noninteractive bash -c \
        "apt-get ${APT_OPTS[*]} update -qq && apt-get ${APT_OPTS[*]} install -y -qq ${missing[*]}" \
        >"$DIR.log" 2>&1 || { tail -30 "$DIR.log" >&2; die "could not install ${missing[*]}"; }
}

create() {
    if [ -x "$DIR/usr/bin/python3.14" ] && [ -e "$DIR/.stackful-complete" ]; then
        add_missing_pythons
        return 0
    fi
    if ! command -v debootstrap >/dev/null; then
        echo "sid-chroot: installing debootstrap" >&2
        "$REPO/tools/host-packages.sh" debootstrap
    fi
    if [ -e "$DIR" ]; then
        echo "sid-chroot: $DIR is incomplete (an interrupted run?): removing it" >&2
        # Refuse to remove anything that looks mounted into.
        if grep -qs " $DIR/" /proc/mounts; then
            die "something is still mounted under $DIR; unmount it first"
        fi
        rm -rf --one-file-system "$DIR"
    fi
    mkdir -p "$DIR"
    echo "sid-chroot: debootstrap sid into $DIR (about a minute)" >&2
    [ -n "$MIRROR" ] || die "no Debian mirror found in /etc/apt; set STACKFUL_SID_MIRROR"
    debootstrap --variant=minbase --include="$PACKAGES" sid "$DIR" "$MIRROR" >"$DIR.log" 2>&1 \
        || { tail -30 "$DIR.log" >&2; die "debootstrap failed (full log: $DIR.log)"; }
    for py in "${PYTHONS[@]}"; do
        [ -x "$DIR/usr/bin/$py" ] || die "debootstrap finished but $DIR has no $py"
    done
    touch "$DIR/.stackful-complete"
    echo "sid-chroot: ready: $(chroot "$DIR" /usr/bin/python3.14 -V), $(chroot "$DIR" /usr/bin/python3.15 -V)" >&2
}

# Files from the host that make the network and pip work the same inside.
sync_config() {
    cp -L /etc/resolv.conf "$DIR/etc/resolv.conf" 2>/dev/null || true
    [ -f /etc/hosts ] && cp -L /etc/hosts "$DIR/etc/hosts"
    # The host's CA bundle: this machine may reach package indexes through a proxy
    # whose certificate only the host's bundle trusts (pip.conf and PIP_CERT point at it).
    if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
        mkdir -p "$DIR/etc/ssl/certs"
        cp -L /etc/ssl/certs/ca-certificates.crt "$DIR/etc/ssl/certs/ca-certificates.crt"
    fi
    [ -f /etc/pip.conf ] && cp -L /etc/pip.conf "$DIR/etc/pip.conf"
    if [ -d /etc/xdg/pip ]; then
        mkdir -p "$DIR/etc/xdg"
        rm -rf "$DIR/etc/xdg/pip"
        cp -rL /etc/xdg/pip "$DIR/etc/xdg/pip"
    fi
}

run() {
    create
    sync_config
    local cwd=/
    case "$PWD/" in "$REPO"/*) cwd=$PWD ;; esac
    # The mounts are made in a private namespace: they vanish when the command ends.
    STACKFUL_SID_DIR="$DIR" STACKFUL_REPO="$REPO" STACKFUL_CWD="$cwd" \
    exec unshare --mount --propagation private -- bash -euc '
        d=$STACKFUL_SID_DIR
        mount -t proc proc "$d/proc"
        mount --rbind /dev "$d/dev"
        mkdir -p "$d/dev/shm" && mount -t tmpfs -o mode=1777 shm "$d/dev/shm"
        mkdir -p "$d$STACKFUL_REPO" && mount --bind "$STACKFUL_REPO" "$d$STACKFUL_REPO"
        for p in /opt/pypi /opt/pypi-more /opt/wheels; do
            if [ -d "$p" ]; then
                mkdir -p "$d$p" && mount --bind -o ro "$p" "$d$p"
            fi
        done
        chmod 1777 "$d/tmp"
        cd_to=$STACKFUL_CWD
        unset STACKFUL_SID_DIR STACKFUL_REPO STACKFUL_CWD
        exec chroot "$d" /usr/bin/env -C "$cd_to" \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
    ' bash "$@"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
    create) create ;;
    path) echo "$DIR" ;;
    run)
        [ "${1:-}" = "--" ] && shift
        [ $# -gt 0 ] || die "run: no command given"
        run "$@"
        ;;
    *) die "usage: $0 create | run [--] CMD [ARG...] | path" ;;
esac
