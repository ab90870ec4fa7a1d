# The front door. `make qemu` runs the demo, `make test` runs every test;
# both run `make setup` first, so on a fresh machine they are all you type.
# `make qemu CONFIG=path/to/system.toml` runs your own system instead
# (`make image CONFIG=...` only builds it). Works from anywhere with
# `make -f /path/to/tree/Makefile ...` or `make -C /path/to/tree ...`:
# CONFIG is relative to make's directory, everything is built in and
# written under the tree this Makefile is in.

CARGO ?= cargo
# The tree this Makefile is in (with a trailing slash).
ROOT := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
HVRUN := $(CARGO) run -q --release --manifest-path $(ROOT)Cargo.toml -p runner --
FOREVER ?=
SEMIHOSTING ?=
# UARTS="uart3=uart3.log uart4=term": where the UARTs other than the console go.
UARTS ?=
## CONFIG: the system file to build, run, debug or check (default: the demo)
CONFIG ?= $(ROOT)config/demo.toml
## OUT: where `make image`/`make qemu` write the system (default:
## target/systems/<system file stem> of this tree)
OUT ?=

.PHONY: all setup build image qemu test test-host test-qemu size debug clean fmt clippy

all: build

## setup: install/verify QEMU (mps3-an536) and core for armv8r-none-eabihf
setup:
	@bash $(ROOT)tools/setup.sh

## build: build the hypervisor image
build: setup
	@$(HVRUN) build

## image: build the system CONFIG (system.img, system.elf) and print where they are
image: setup
	@$(HVRUN) image --config $(CONFIG) $(if $(OUT),--out $(OUT),)

## qemu: build and run the system CONFIG (default: the demo) in QEMU (FOREVER=1
## keeps it running; SEMIHOSTING=1 gives the partitions semihosting, host files
## and commands: trusted programs only)
qemu: setup
	@$(HVRUN) run --config $(CONFIG) $(if $(OUT),--out $(OUT),) $(if $(FOREVER),--forever,) $(if $(SEMIHOSTING),--semihosting,) $(foreach u,$(UARTS),--uart $(u))

## test: host unit tests, then the QEMU tests
test: setup
	$(CARGO) test --manifest-path $(ROOT)Cargo.toml

## size: size of each section of the hypervisor image
size: setup
	@$(HVRUN) size

## bench: benchmark suite under -icount: table, bench/results.json, bench/ipc.svg
.PHONY: bench
bench: setup
	@$(HVRUN) bench

## debug: the system CONFIG in QEMU, halted, waiting for gdb-multiarch on :1234
debug: setup
	@$(HVRUN) debug --config $(CONFIG)

## check-config: validate a system file: make check-config CONFIG=path/to/system.toml
## (exit 0 and a one-line summary when valid, non-zero with the diagnostics when not)
.PHONY: check-config
check-config:
	@$(CARGO) run -q --manifest-path $(ROOT)Cargo.toml -p hvcfg -- check $(CONFIG)

fmt:
	$(CARGO) fmt --all --manifest-path $(ROOT)Cargo.toml

## clippy: lints, host crates and then the target crates for armv8r-none-eabihf
clippy: setup
	$(CARGO) clippy --manifest-path $(ROOT)Cargo.toml --all-targets -- -D warnings
	@$(HVRUN) clippy

clean:
	$(CARGO) clean --manifest-path $(ROOT)Cargo.toml
