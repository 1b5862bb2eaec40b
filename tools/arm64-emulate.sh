#!/usr/bin/env bash
# arm64-emulate.sh -- build stackful for aarch64 and run its test suite under user-mode
# emulation (qemu-aarch64-static), on an x86-64 machine, without binfmt_misc.
#
#   tools/arm64-emulate.sh create           make the arm64 sysroot (reused when it exists)
#   tools/arm64-emulate.sh python [ARG...]  run the emulated CPython
#   tools/arm64-emulate.sh test [PYTEST_ARG...]
#                                           cross-build a copy of the repository's files
#                                           (tracked or not ignored) into a fresh emulated
#                                           venv and run pytest there (what CI does)
#
# How it works, and why each piece is needed:
# * The sysroot ($STACKFUL_ARM64_DIR, default /var/tmp/stackful-arm64) is Debian bookworm
#   for arm64 with CPython 3.11, made by `debootstrap --foreign` (download and unpack
#   only: the second stage would have to run arm64 binaries) with every downloaded
#   package then unpacked by `dpkg-deb -x`, so nothing arm64 ever runs as root.
# * The emulated interpreter is a shell script in the sysroot's /usr/bin that runs
#   `qemu-aarch64-static -L SYSROOT -0 "$0" SYSROOT/usr/bin/python3.11`.  -L makes the
#   dynamic loader and libraries come from the sysroot.  -0 "$0" makes the script's own
#   path the program's argv[0]: CPython then finds its standard library next to the
#   script (the script lives in SYSROOT/usr/bin, beside the real binary) and reports the
#   script as sys.executable, so a venv made by it links to the script and every
#   subprocess a test starts with sys.executable is emulated too; no PYTHONHOME, which
#   would leak into the native programs tests start.
# * The extension is compiled by the host's cross compiler, aarch64-linux-gnu-gcc (the
#   compiler the arm64 CPython's sysconfig names), with --sysroot for the sysroot's
#   Python and C library headers.
#   The tests' own native helpers (tests/nativelib.py) compile with the same compiler.
# * -L resolves any path that exists under SYSROOT to SYSROOT's copy, directories
#   included: the sysroot keeps no /tmp, or the emulated programs would list SYSROOT/tmp
#   (empty) as /tmp, where the venv and the tests' files are (pytest then finds nothing
#   below a rootdir of /tmp).  For the same reason TMPDIR must lie outside the sysroot.
# Needs root for debootstrap, and the Debian packages qemu-user-static,
# gcc-aarch64-linux-gnu and debootstrap (installed when missing).
set -euo pipefail

DIR=${STACKFUL_ARM64_DIR:-/var/tmp/stackful-arm64}
SUITE=bookworm
PY=python3.11
PACKAGES=$PY,$PY-dev,$PY-venv,python3-pip-whl,python3-setuptools-whl
WRAPPER=$DIR/usr/bin/$PY-emulated
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
VENV=${STACKFUL_ARM64_VENV:-/tmp/stackful-arm64-venv}
SRC=${STACKFUL_ARM64_SRC:-/tmp/stackful-arm64-src}

die() { echo "arm64-emulate: $*" >&2; exit 1; }

# The Debian archive this machine's apt already uses (as tools/sid-chroot.sh).
apt_mirror() {
    { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources || true
      grep -hs '^deb ' /etc/apt/sources.list || true; } \
        | awk '{print $2}' | { grep -v -- '-security' || true; } | head -n 1
}

host_tools() {
    local missing=()
    command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
    command -v aarch64-linux-gnu-gcc >/dev/null || missing+=(gcc-aarch64-linux-gnu)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "needs ${missing[*]} (apt-get install, as root)"
    echo "arm64-emulate: installing ${missing[*]}" >&2
    "$REPO/tools/host-packages.sh" "${missing[@]}"
}

no_sysroot_tmp() {
    [ -d "$DIR/tmp" ] || return 0
    rmdir "$DIR/tmp" || die "$DIR/tmp is not empty: the emulated /tmp must be the host's"
}

create() {
    host_tools
    if [ -x "$WRAPPER" ] && [ -e "$DIR/.stackful-complete" ]; then
        no_sysroot_tmp
        return 0
    fi
    [ "$(id -u)" = 0 ] || die "must run as root to create the sysroot (debootstrap)"
    if [ -e "$DIR" ]; then
        echo "arm64-emulate: $DIR is incomplete (an interrupted run?): removing it" >&2
        rm -rf --one-file-system "$DIR"
    fi
    local mirror=${STACKFUL_ARM64_MIRROR:-$(apt_mirror)}
    [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt; set STACKFUL_ARM64_MIRROR"
    echo "arm64-emulate: debootstrap --foreign --arch=arm64 $SUITE into $DIR" >&2
    debootstrap --foreign --arch=arm64 --variant=minbase --include="$PACKAGES" \
        "$SUITE" "$DIR" "$mirror" >"$DIR.log" 2>&1 \
        || { tail -30 "$DIR.log" >&2; die "debootstrap failed (full log: $DIR.log)"; }
    local deb
    for deb in "$DIR"/var/cache/apt/archives/*.deb; do
        dpkg-deb -x "$deb" "$DIR"
    done
    [ -x "$DIR/usr/bin/$PY" ] && [ -f "$DIR/usr/include/$PY/Python.h" ] \
        || die "the sysroot has no $PY with its headers"
    cat >"$WRAPPER" <<EOF
#!/bin/sh
# The arm64 $PY under qemu (tools/arm64-emulate.sh explains -L and -0).
exec qemu-aarch64-static -L "$DIR" -0 "\$0" "$DIR/usr/bin/$PY" "\$@"
EOF
    chmod +x "$WRAPPER"
    no_sysroot_tmp
    local machine
    machine=$("$WRAPPER" -c 'import platform; print(platform.machine())')
    [ "$machine" = aarch64 ] || die "the emulated interpreter reports machine $machine"
    touch "$DIR/.stackful-complete"
    echo "arm64-emulate: ready: $("$WRAPPER" -V) on $machine" >&2
}

run_tests() {
    create
    case "$(cd "${TMPDIR:-/tmp}" && pwd -P)/" in
        "$DIR"/*) die "TMPDIR must lie outside the sysroot $DIR" ;;
    esac
    # A copy without what git ignores: the repository's own in-place x86-64 builds and
    # venvs must not be picked up, and the emulated build must not leave files there.
    rm -rf "$SRC" "$VENV"
    mkdir -p "$SRC"
    (cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
        tar --null --ignore-failed-read -T - -c 2>/dev/null) | tar -x -C "$SRC"
    "$WRAPPER" -m venv "$VENV"
    # The arm64 CPython's sysconfig names its headers by their paths on an arm64
    # machine (/usr/include/python3.11): --sysroot makes the cross compiler read them,
    # and the C library's, from the sysroot instead of the host's.
    (cd "$SRC" && CC="aarch64-linux-gnu-gcc --sysroot=$DIR" \
        LDSHARED="aarch64-linux-gnu-gcc --sysroot=$DIR -shared" \
        "$VENV/bin/pip" install -q '.[test]')
    # Emulation runs CPython 5-10 times slower: the probe with the most child processes
    # (probe_overflow_large_frame_jumps_guard) takes 75 s alone instead of 30 s's limit.
    cd "$SRC" && STACKFUL_PROBE_TIMEOUT=${STACKFUL_PROBE_TIMEOUT:-300} \
        exec "$VENV/bin/python" -m pytest "$@"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
    create) create ;;
    python) create; exec "$WRAPPER" "$@" ;;
    test) run_tests "$@" ;;
    *) die "usage: $0 create | python [ARG...] | test [PYTEST_ARG...]" ;;
esac
