#!/bin/sh
# The README's second command: installs what is missing, builds, and runs
# the whole suite (make check, then make distcheck).  .ci/run calls it.
set -eu
cd "$(dirname "$0")"

./scripts/deps.sh
./scripts/build.sh
if ! make -j"$(nproc)" --no-print-directory check; then
	cat test-suite.log
	exit 1
fi
make -j"$(nproc)" --no-print-directory distcheck
