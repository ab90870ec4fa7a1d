#!/usr/bin/env bash
# make setup: everything `make qemu` and `make test` need, idempotent.
#  - core for armv8r-none-eabihf (the partitions): the shipped one if rustup can add the
#    target, otherwise the rust-src component for -Zbuild-std;
#  - qemu-system-arm with the mps3-an536 machine (QEMU >= 9.0): on Debian
#    bookworm from bookworm-backports, installed when run as root, otherwise
#    the exact commands are printed;
#  - arm-none-eabi-gcc (Debian's gcc-arm-none-eabi), for the C partition
#    example (partitions/examples/c) and its test: installed when run as
#    root, otherwise the command is printed (make qemu does not need it).
set -u
TARGET=armv8r-none-eabihf
fail=0

say() { printf 'setup: %s\n' "$*"; }

# --- Rust -----------------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1; then
    say "cargo not found: install Rust with rustup (https://rustup.rs), then run make again"
    exit 1
fi
# rust-src, for -Zbuild-std: added with rustup when missing; 0 if present.
rust_src() {
    local sysroot
    sysroot=$(rustc --print sysroot)
    if [ ! -d "$sysroot/lib/rustlib/src/rust/library/core" ] && command -v rustup >/dev/null 2>&1; then
        rustup component add rust-src >/dev/null 2>&1 || true
    fi
    [ -d "$sysroot/lib/rustlib/src/rust/library/core" ]
}
libdir=$(rustc --print target-libdir --target "$TARGET" 2>/dev/null || true)
if [ -n "$libdir" ] && ls "$libdir"/libcore-* >/dev/null 2>&1; then
    say "core for $TARGET: shipped (rustup target)"
else
    if command -v rustup >/dev/null 2>&1; then
        rustup target add "$TARGET" >/dev/null 2>&1 || true
    fi
    libdir=$(rustc --print target-libdir --target "$TARGET" 2>/dev/null || true)
    if [ -n "$libdir" ] && ls "$libdir"/libcore-* >/dev/null 2>&1; then
        say "core for $TARGET: shipped (rustup target, just added)"
    else
        if rust_src; then
            say "core for $TARGET: built from rust-src (-Zbuild-std)"
        else
            say "no core for $TARGET; run: rustup component add rust-src"
            fail=1
        fi
    fi
fi

# The hypervisor itself is built for thumbv8r-none-eabihf (T32 code, the
# smaller trusted code base), which has no shipped core: rust-src always.
if rust_src; then
    say "core for thumbv8r-none-eabihf (the hypervisor): built from rust-src (-Zbuild-std)"
else
    say "no core source for thumbv8r-none-eabihf (the hypervisor); run: rustup component add rust-src"
    fail=1
fi

# --- QEMU -----------------------------------------------------------------
has_machine() { qemu-system-arm -M help 2>/dev/null | grep -q '^mps3-an536'; }
if has_machine; then
    say "QEMU: $(qemu-system-arm --version | head -n1) with mps3-an536"
else
    codename=$( (. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}") )
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        export DEBIAN_FRONTEND=noninteractive
        if [ "$codename" = bookworm ]; then
            list=/etc/apt/sources.list.d/bookworm-backports.list
            if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
                say "adding bookworm-backports to $list"
                echo "deb http://deb.debian.org/debian bookworm-backports main" > "$list"
            fi
            say "installing qemu-system-arm from bookworm-backports"
            apt-get update -qq && apt-get install -y -qq -t bookworm-backports qemu-system-arm >/dev/null
        else
            say "installing qemu-system-arm"
            apt-get update -qq && apt-get install -y -qq qemu-system-arm >/dev/null
        fi
    fi
    if has_machine; then
        say "QEMU: $(qemu-system-arm --version | head -n1) with mps3-an536"
    else
        say "qemu-system-arm with the mps3-an536 machine (QEMU >= 9.0) is missing. On Debian bookworm run as root:"
        say "  echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/bookworm-backports.list"
        say "  apt-get update && apt-get install -y -t bookworm-backports qemu-system-arm"
        fail=1
    fi
fi
# --- C cross compiler ------------------------------------------------------
if ! command -v arm-none-eabi-gcc >/dev/null 2>&1 \
    && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    say "installing gcc-arm-none-eabi"
    apt-get update -qq && apt-get install -y -qq gcc-arm-none-eabi >/dev/null
fi
if command -v arm-none-eabi-gcc >/dev/null 2>&1; then
    say "C compiler: $(arm-none-eabi-gcc --version | head -n1)"
else
    say "arm-none-eabi-gcc is missing: the C partition example and its test (make test) need it. Run:"
    say "  sudo apt-get update && sudo apt-get install -y gcc-arm-none-eabi"
fi
exit $fail
