#!/bin/sh
# Builds the release tarball with ASan and UBSan (./configure
# --enable-sanitizers) in a directory of its own and runs the whole suite
# there.  Programs we do not build (sshd, sudo, su, getent) cannot load an
# instrumented module: those tests say so and skip.
set -eu
cd "$(dirname "$0")/.."
[ -f Makefile ] || ./scripts/build.sh
make -s distdir distdir=unilogin-asan >/dev/null
rm -rf /tmp/unilogin-asan
mv unilogin-asan /tmp/unilogin-asan
cd /tmp/unilogin-asan
./configure --quiet --enable-sanitizers
make -s -j"$(nproc)" >/dev/null
export ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if ! make -s -j"$(nproc)" check; then
	cat test-suite.log
	exit 1
fi
