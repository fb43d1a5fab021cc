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
# the fleet keys (INTERFACES.md, "Fleet"), one by one
bad "unknown store" "store = postgres" "store: must be lmdb or ldap"
bad "not an LDAP URI" "ldap_write_uri = http://provider/" \
	"ldap_write_uri: must be one ldap://, ldaps:// or ldapi:// URI"
bad "two URIs in one" "ldap_read_uri = ldapi:/// ldap://x/" \
	"ldap_read_uri: must be one ldap://, ldaps:// or ldapi:// URI"
bad "not a DN" "ldap_base = example.net" \
	"ldap_base: must be a distinguished name (e.g. dc=example,dc=net)"
bad "unknown bind" "ldap_bind = kerberos" "ldap_bind: must be external or simple"
bad "relative password file" "ldap_bind_password_file = pw" \
	"ldap_bind_password_file: must be an absolute path"
bad "ldap_timeout out of range" "ldap_timeout = 0" \
	"ldap_timeout: must be a number from 1 to 60"

# ... and together, once the file is read (FILE: message)
whole() { # WHAT LINES EXPECTED-MESSAGE
	printf 'state_dir = %s/state\n%b\n' "$T" "$2" >"$T/fleet.conf"
	out=$("$UL_BIN/unilogind" --config "$T/fleet.conf" --check-config 2>&1) && rc=0 || rc=$?
	expect_eq "$1: exit 2" 2 "$rc"
	expect_eq "$1: the message" "$T/fleet.conf: $3" "$out"
}
w="ldap_write_uri = ldap://127.0.0.1:3891/"
b="ldap_base = dc=example,dc=net"
whole "store = ldap without a provider" "store = ldap\n$b" \
	"store = ldap needs ldap_write_uri (the active provider)"
whole "store = ldap without a base" "store = ldap\n$w" \
	"store = ldap needs ldap_base (the suffix of unilogin's entries)"
whole "simple bind without its DN" "store = ldap\n$w\n$b\nldap_bind = simple\nldap_bind_password_file = /etc/pw" \
	"ldap_bind = simple needs ldap_bind_dn and ldap_bind_password_file"
whole "a bind DN with external" "store = ldap\n$w\n$b\nldap_bind_dn = cn=h1,dc=example,dc=net" \
	"ldap_bind_dn and ldap_bind_password_file go with ldap_bind = simple (external takes neither)"
whole "a TLS cert without its key" "store = ldap\n$w\n$b\nldap_tls_cert = /etc/c.pem" \
	"ldap_tls_cert and ldap_tls_key go together"
whole "ldap_timeout not below timeout" "store = ldap\n$w\n$b\ntimeout = 2\nldap_timeout = 2" \
	"ldap_timeout (2) must be below timeout (2), so that PAM gets its answer in time"
printf 'state_dir = %s/state\nstore = lmdb\n%s\n%s\nldap_bind = simple\n' "$T" "$w" "$b" >"$T/fleet.conf"
"$UL_BIN/unilogind" --config "$T/fleet.conf" --check-config >/dev/null 2>&1 && rc=0 || rc=$?
expect_eq "with store = lmdb the fleet keys are read and ignored" 0 "$rc"
printf 'state_dir = %s/state\nstore = ldap\n%s\n%s\nldap_bind = simple\nldap_bind_dn = cn=h1,%s\nldap_bind_password_file = /etc/pw\nldap_tls_ca = /etc/ca.pem\n' \
	"$T" "$w" "$b" "${b#ldap_base = }" >"$T/fleet.conf"
"$UL_BIN/unilogind" --config "$T/fleet.conf" --check-config >/dev/null 2>&1 && rc=0 || rc=$?
expect_eq "a whole store = ldap config checks clean" 0 "$rc"

# the helper itself refuses to start, and says where
out=$("$UL_BIN/unilogind" --config "$T/bad.conf" --foreground 2>&1) && rc=0 || rc=$?
expect_eq "a bad config stops the helper" 2 "$rc"
expect_contains "and says where" "$out" "$T/bad.conf:"

# --kdf-worker is the helper's own (its KDF worker processes): run by
# hand, without their socket as fd 3, it says so
out=$("$UL_BIN/unilogind" --kdf-worker 2>&1 3>&-) && rc=0 || rc=$?
expect_eq "--kdf-worker by hand: exit 2" 2 "$rc"
expect_contains "... and says what it is" "$out" "not an option to run by hand"
out=$("$UL_BIN/unilogind" --kdf-worker 2>&1 3</dev/null) && rc=0 || rc=$?
expect_eq "--kdf-worker with a file as fd 3: exit 2" 2 "$rc"

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
# a descriptor the helper inherits (a parent's lock file) is closed at
# start: a daemon that kept it would hold its parent's lock for its life
: >"$T/inherited.lock"
ul_start 9>"$T/inherited.lock"
held=$(for f in /proc/"$HELPER_PID"/fd/*; do readlink "$f"; done)
expect_lacks "the helper keeps no inherited descriptor" "$held" "inherited.lock"
expect_contains "(and does keep its own)" "$held" "socket:"
ul_stop
ul_done
