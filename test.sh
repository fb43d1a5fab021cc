#!/bin/sh
# The README's second command: installs what is missing, builds, and runs
# the whole suite: make check, make distcheck, the suite again under ASan
# and UBSan, the helper under valgrind, and a short run of every fuzzer.
# .ci/run calls it.
set -eu
cd "$(dirname "$0")"

step() { printf '\n== %s\n' "$*"; }
step "Installing what is missing"
./scripts/deps.sh
step "Building"
./scripts/build.sh
step "make check"
if ! make -j"$(nproc)" --no-print-directory check; then
	cat test-suite.log
	exit 1
fi
step "make distcheck"
make -j"$(nproc)" --no-print-directory distcheck >distcheck.log 2>&1 ||
	{ tail -80 distcheck.log; exit 1; }
tail -3 distcheck.log
step "The suite under AddressSanitizer and UndefinedBehaviorSanitizer"
./scripts/check-sanitizers.sh
step "The helper under valgrind"
./scripts/check-valgrind.sh
step "Benchmarks, quick (so that they keep working)"
make --no-print-directory bench-quick
if grep -q '^fuzz-quick:' Makefile; then
	step "Fuzzing, ${FUZZ_SECONDS:-60} s a target"
	make --no-print-directory fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
fi
step "All passed"
