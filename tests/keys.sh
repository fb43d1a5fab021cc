#!/bin/sh
# `uniloginctl keys fingerprint` (INTERFACES.md, "Fleet"): names the
# helper's keys file without giving it away; equal exactly when two
# helpers hold the same file (how a fleet's hosts are checked after the
# file is copied); an administrative request (S5).
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
command -v setpriv >/dev/null || ul_skip "setpriv (util-linux) is needed"

ul_config
ul_start
fp=$(ctl keys fingerprint) && rc=0 || rc=$?
expect_eq "keys fingerprint: exit 0" 0 "$rc"
expect_eq "it prints blake2b: and 64 hex digits" "yes" \
	"$(printf '%s\n' "$fp" | grep -Eqx 'fingerprint: blake2b:[0-9a-f]{64}' && echo yes || echo no)"
fp=${fp#fingerprint: }
expect_eq "--json gives the same" "{\"fingerprint\":\"$fp\"}" \
	"$(ctl --json keys fingerprint | tr -d ' \n')"
expect_lacks "the fingerprint holds no part of either key" \
	"$fp" "$(od -An -tx1 -N8 "$T/state/keys" | tr -d ' \n')"
expect_lacks "... nor of the seed key" \
	"$fp" "$(od -An -tx1 -j32 -N8 "$T/state/keys" | tr -d ' \n')"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$UL_BIN/uniloginctl" --config "$T/unilogin.conf" keys fingerprint 2>&1) && rc=0 || rc=$?
expect_eq "nobody may not ask it (exit 4)" 4 "$rc"
expect_eq "the same file again: the same fingerprint" "fingerprint: $fp" \
	"$(ctl keys fingerprint)"
ul_stop

# another helper makes keys of its own: another fingerprint; given a copy
# of the first helper's file, it prints the first one's
mv "$T/state" "$T/first"
ul_start
other=$(ctl keys fingerprint)
expect_lacks "a helper with its own keys: another fingerprint" "$other" "$fp"
ul_stop
cp -p "$T/first/keys" "$T/state/keys"
ul_start
expect_eq "a copied keys file: the fingerprint of the original" \
	"fingerprint: $fp" "$(ctl keys fingerprint)"
ul_done
