#!/usr/bin/env bash
# tests/c/run.sh -- build and run the standalone C tests of the context switch.
#
#   tests/c/run.sh [TARGET...]      TARGET: native negative aarch64 aarch64-negative all
#                                   (default: all)
#   native            test_switch at -O2 and -O0 for the host (x86-64 or aarch64); must pass
#   negative          test_switch linked against deliberately broken switches
#                     (broken_swap_<arch>.c); each run must FAIL with the expected message
#   aarch64           cross-built (-static) for aarch64, run under qemu-aarch64; must pass
#   aarch64-negative  the broken aarch64 switches under qemu-aarch64; each must FAIL
# The aarch64 targets are skipped, with a message, if the cross tools are not installed
# (Debian: apt-get install gcc-aarch64-linux-gnu qemu-user).
#
# Environment: CC (gcc), AARCH64_CC (aarch64-linux-gnu-gcc), AARCH64_OBJCOPY
# (aarch64-linux-gnu-objcopy), QEMU_AARCH64 (qemu-aarch64, else qemu-aarch64-static), STRESS (seconds of the
# signal stress run, 0.3), BUILD (build directory, tests/c/build, ignored by git).
# Exit status: 0 if every target that ran did what it must, 1 otherwise.
set -u
cd "$(dirname "$0")" || exit 1

CORE=../../src/stackful/_core
BUILD=${BUILD:-build}
CC=${CC:-gcc}
AARCH64_CC=${AARCH64_CC:-aarch64-linux-gnu-gcc}
AARCH64_OBJCOPY=${AARCH64_OBJCOPY:-aarch64-linux-gnu-objcopy}
if [ -z "${QEMU_AARCH64:-}" ]; then
    QEMU_AARCH64=qemu-aarch64
    command -v qemu-aarch64 >/dev/null || ! command -v qemu-aarch64-static >/dev/null ||
        QEMU_AARCH64=qemu-aarch64-static
fi
STRESS=${STRESS:-0.3}
CFLAGS=(-std=c11 -Wall -Wextra -Werror -I. "-I$CORE")
SRCS=(test_switch.c "$CORE/switch.c" selftest.c)

mkdir -p "$BUILD" || exit 1
bad=0
summary=()

say() { printf '%s\n' "$*"; }
run_cmd() { say "+ $*"; "$@"; }

# expect_pass NAME CMD...: the test must exit 0 and print "1 passed, 0 failed".
expect_pass() {
    local name=$1; shift
    local out rc
    say "+ $*"
    out=$("$@" 2>&1); rc=$?
    printf '%s\n' "$out"
    if [ $rc -eq 0 ] && grep -q '^1 passed, 0 failed$' <<<"$out"; then
        summary+=("PASS  $name"); return 0
    fi
    summary+=("FAIL  $name (exit $rc)"); bad=1; return 1
}

# expect_fail NAME PATTERN CMD...: the test must exit 1 and report PATTERN.
expect_fail() {
    local name=$1 pattern=$2; shift 2
    local out rc
    say "+ $*"
    out=$("$@" 2>&1); rc=$?
    printf '%s\n' "$out"
    if [ $rc -eq 1 ] && grep -q "^0 passed, 1 failed: .*$pattern" <<<"$out"; then
        summary+=("PASS  $name (failed as it must: \"$pattern\")"); return 0
    fi
    summary+=("FAIL  $name (exit $rc, expected a reported failure \"$pattern\")"); bad=1
    return 1
}

host_arch() {
    case "$("$CC" -dumpmachine 2>/dev/null)" in
        x86_64-*) echo x86_64 ;;
        aarch64-*) echo aarch64 ;;
        *) echo unknown ;;
    esac
}

# Variants of broken_swap_<arch>.c: DEFINE:SYMBOL-IT-REPLACES:EXPECTED-MESSAGE
variants_x86_64=(
    "BROKEN_R13:stackful_switch:r13 not preserved"
    "BROKEN_MXCSR:stackful_switch:MXCSR not"
    "BROKEN_X87CW:stackful_switch:x87 control word not"
    "BROKEN_INIT_ALIGN:stackful_init_context:entry stack misaligned"
)
variants_aarch64=(
    "BROKEN_X21:stackful_switch:x21 not preserved"
    "BROKEN_D9:stackful_switch:d9 not preserved"
    "BROKEN_FPCR:stackful_switch:FPCR not"
    "BROKEN_INIT_ALIGN:stackful_init_context:entry stack misaligned"
)

# negatives ARCH CC OBJCOPY EXTRA_LDFLAGS RUNNER...
negatives() {
    local arch=$1 cc=$2 objcopy=$3 ldflags=$4; shift 4
    local runner=("$@") v def sym pattern obj exe
    local -n variants="variants_$arch"
    run_cmd "$cc" "${CFLAGS[@]}" -O2 -c -o "$BUILD/switch-$arch.o" "$CORE/switch.c" || {
        summary+=("FAIL  $arch negative controls (build)"); bad=1; return; }
    for v in "${variants[@]}"; do
        IFS=: read -r def sym pattern <<<"$v"
        obj="$BUILD/switch-$arch-without-$sym.o"
        exe="$BUILD/test_switch-$arch-$def"
        # The real symbol is renamed away; the broken file provides the replacement.
        run_cmd "$objcopy" --redefine-sym "$sym=${sym}_real" "$BUILD/switch-$arch.o" "$obj" &&
        run_cmd "$cc" "${CFLAGS[@]}" -O2 $ldflags "-D$def" -o "$exe" test_switch.c \
            selftest.c "broken_swap_$arch.c" "$obj" || {
            summary+=("FAIL  $arch negative $def (build)"); bad=1; continue; }
        expect_fail "$arch negative control $def" "$pattern" "${runner[@]}" "$exe" "$STRESS"
    done
}

target_native() {
    local arch opt
    arch=$(host_arch)
    say "== native ($arch): test_switch at -O2 and -O0, must pass =="
    for opt in -O2 -O0; do
        run_cmd "$CC" "${CFLAGS[@]}" $opt -o "$BUILD/test_switch$opt" "${SRCS[@]}" || {
            summary+=("FAIL  native $arch $opt (build)"); bad=1; continue; }
        expect_pass "native $arch $opt" "$BUILD/test_switch$opt" "$STRESS"
    done
}

target_negative() {
    local arch
    arch=$(host_arch)
    say "== native ($arch) negative controls: broken switches, each must be reported =="
    if [ "$arch" = unknown ]; then
        summary+=("FAIL  negative: unsupported host $("$CC" -dumpmachine)"); bad=1; return
    fi
    negatives "$arch" "$CC" objcopy ""
}

have_aarch64_tools() {
    local t missing=()
    for t in "$AARCH64_CC" "$AARCH64_OBJCOPY" "$QEMU_AARCH64"; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "SKIP: not found: ${missing[*]} (Debian: apt-get install gcc-aarch64-linux-gnu qemu-user)"
        summary+=("SKIP  $1 (missing: ${missing[*]})")
        return 1
    fi
}

target_aarch64() {
    local opt
    say "== aarch64 via $QEMU_AARCH64: test_switch -static at -O2 and -O0, must pass =="
    have_aarch64_tools aarch64 || return 0
    for opt in -O2 -O0; do
        run_cmd "$AARCH64_CC" "${CFLAGS[@]}" $opt -static -o "$BUILD/test_switch-aarch64$opt" \
            "${SRCS[@]}" || { summary+=("FAIL  aarch64 $opt (build)"); bad=1; continue; }
        expect_pass "aarch64 (qemu) $opt" "$QEMU_AARCH64" "$BUILD/test_switch-aarch64$opt" "$STRESS"
    done
}

target_aarch64_negative() {
    say "== aarch64 via $QEMU_AARCH64 negative controls: broken switches, each must be reported =="
    have_aarch64_tools aarch64-negative || return 0
    negatives aarch64 "$AARCH64_CC" "$AARCH64_OBJCOPY" -static "$QEMU_AARCH64"
}

[ $# -eq 0 ] && set -- all
for t in "$@"; do
    case "$t" in
        native) target_native ;;
        negative) target_negative ;;
        aarch64) target_aarch64 ;;
        aarch64-negative) target_aarch64_negative ;;
        all) target_native; target_negative; target_aarch64; target_aarch64_negative ;;
        *) say "unknown target: $t (native negative aarch64 aarch64-negative all)"; exit 2 ;;
    esac
done

say ""
say "== summary =="
printf '%s\n' "${summary[@]}"
exit $bad
