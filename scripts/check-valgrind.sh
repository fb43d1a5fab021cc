#!/bin/sh
# Runs the integration tests with the helper under valgrind
# (--leak-check=full): any error or definite leak fails the test.
set -eu
cd "$(dirname "$0")/.."
[ -f Makefile ] || ./scripts/build.sh
command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 1; }
TESTS="tests/login.sh tests/passwords.sh tests/tfa.sh tests/selfservice.sh
tests/accounts.sh tests/users.sh tests/bad_frames.sh tests/nss.sh tests/export.sh"
if ! UL_VALGRIND=1 make -s check TESTS="$(echo $TESTS)"; then
	cat test-suite.log
	exit 1
fi
