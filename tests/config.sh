#!/bin/sh
# unilogin.conf: an unknown key or a bad value stops the helper with
# FILE:LINE: message; --check-config reports it and exits 2.
. "$top_srcdir/tests/lib.sh"

ul_config
out=$("$UL_BIN/unilogind" --config "$T/unilogin.conf" --check-config 2>&1) && rc=0 || rc=$?
expect_eq "a good config checks clean" 0 "$rc"

bad() { # WHAT LINE EXPECTED-MESSAGE
	printf '# a small config\nstate_dir = %s/state\n%s\n' "$T" "$2" >"$T/bad.conf"
	line=$(wc -l <"$T/bad.conf")
	out=$("$UL_BIN/unilogind" --config "$T/bad.conf" --check-config 2>&1) && rc=0 || rc=$?
	expect_eq "$1: --check-config exits 2" 2 "$rc"
	expect_eq "$1: FILE:LINE: message" "$T/bad.conf:$line: $3" "$out"
}
bad "unknown key" "colour = blue" "unknown key: colour"
bad "bad number" "timeout = soon" "timeout: not a number: soon"
bad "number out of range" "totp_digits = 9" "totp_digits: must be a number from 6 to 8"
bad "bad boolean" "tfa_required = maybe" "tfa_required: must be yes or no"
bad "bad kdf" "kdf = fast" \
	"kdf: must be interactive, moderate, sensitive or OPSLIMIT:MEMLIMIT_MIB (e.g. 2:64)"
bad "relative path" "delivery_command = send-sms" "delivery_command: must be an absolute path"
bad "key given twice" "state_dir = /tmp/x" "state_dir: given twice"
bad "no equals sign" "tfa_required" "expected \`key = value\`"

# the helper itself refuses to start, and says where
out=$("$UL_BIN/unilogind" --config "$T/bad.conf" --foreground 2>&1) && rc=0 || rc=$?
expect_eq "a bad config stops the helper" 2 "$rc"
expect_contains "and says where" "$out" "$T/bad.conf:"

# a config others may write is refused: it decides where secrets go
cp "$T/unilogin.conf" "$T/open.conf"; chmod 666 "$T/open.conf"
out=$("$UL_BIN/unilogind" --config "$T/open.conf" --check-config 2>&1) && rc=0 || rc=$?
expect_contains "a world-writable config is refused" "$out" "writable by group or others"

# an explicit --config that does not exist is an error; tools say so too
out=$("$UL_BIN/unilogind" --config "$T/none.conf" --check-config 2>&1) && rc=0 || rc=$?
expect_eq "a missing --config is an error" 2 "$rc"
out=$("$UL_BIN/uniloginctl" --config "$T/bad.conf" status 2>&1) && rc=0 || rc=$?
expect_eq "uniloginctl with a bad config: exit 2" 2 "$rc"
# tools: unknown command and option are usage errors (exit 2)
out=$(ctl frobnicate 2>&1) && rc=0 || rc=$?
expect_eq "unknown command: exit 2" 2 "$rc"
out=$(ctl user add a@example.com --colour 2>&1) && rc=0 || rc=$?
expect_eq "unknown option: exit 2" 2 "$rc"
out=$(ctl user add 2>&1) && rc=0 || rc=$?
expect_contains "missing argument: usage" "$out" "usage: uniloginctl user add EMAIL"
out=$(ctl status 2>&1) && rc=0 || rc=$?
expect_eq "no helper: exit 3" 3 "$rc"
ul_done
