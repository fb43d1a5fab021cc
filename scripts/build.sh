#!/bin/sh
# Configures (once) and builds unilogin in the source tree.
set -eu
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure --quiet
make -j"$(nproc)" --no-print-directory
make -j"$(nproc)" --no-print-directory tests/pamdrive
