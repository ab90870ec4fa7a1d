# The front door. `make qemu` runs the demo, `make test` runs every test;
# both run `make setup` first, so on a fresh machine they are all you type.

CARGO ?= cargo
HVRUN := $(CARGO) run -q --release -p runner --
FOREVER ?=
SEMIHOSTING ?=

.PHONY: all setup build qemu test test-host test-qemu size debug clean fmt clippy

all: build

## setup: install/verify QEMU (mps3-an536) and core for armv8r-none-eabihf
setup:
	@bash tools/setup.sh

## build: build the hypervisor image
build: setup
	@$(HVRUN) build

## qemu: run the demo in QEMU (FOREVER=1 keeps it running; SEMIHOSTING=1
## gives the partitions semihosting, host files and commands: trusted programs only)
qemu: setup
	@$(HVRUN) run $(if $(FOREVER),--forever,) $(if $(SEMIHOSTING),--semihosting,)

## test: host unit tests, then the QEMU tests
test: setup
	$(CARGO) test

## size: size of each section of the hypervisor image
size: setup
	@$(HVRUN) size

## bench: benchmark suite under -icount: table, bench/results.json, bench/ipc.svg
.PHONY: bench
bench: setup
	@$(HVRUN) bench

## debug: QEMU halted, waiting for gdb-multiarch on :1234
debug: setup
	@$(HVRUN) debug

## check-config: validate a system file: make check-config CONFIG=path/to/system.toml
## (exit 0 and a one-line summary when valid, non-zero with the diagnostics when not)
CONFIG ?= config/demo.toml
.PHONY: check-config
check-config:
	@$(CARGO) run -q -p hvcfg -- check $(CONFIG)

fmt:
	$(CARGO) fmt --all

## clippy: lints, host crates and then the target crates for armv8r-none-eabihf
clippy: setup
	$(CARGO) clippy --all-targets -- -D warnings
	@$(HVRUN) clippy

clean:
	$(CARGO) clean
