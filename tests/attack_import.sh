#!/bin/sh
# Hardening 2, row 1: `uniloginctl import` made root a product account.
# Import now checks every record as `account add` does: a Unix name of
# [a-z_][a-z0-9_-]{0,31}, not a local user or group, a uid inside
# uid_min..uid_max that no local user or group has, argon2id costs up to
# `sensitive`, crypt(5) hashes only on legacy accounts.  A refused line is
# named by its number and nothing of its batch is stored.  And the PAM
# module refuses an account whose PAM_USER resolves (NSS, here through
# nss_wrapper) to a uid outside the range, and logs why.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/attack_lib.sh"
[ -n "$WRAPPER" ] || ul_skip "nss_wrapper (package libnss-wrapper) is needed"

# uid_min low enough that a local uid (nobody, 65534) lies inside the range
ul_config "uid_min = 1000" "uid_max = 999999999"
ul_start
ctl product add comms >/dev/null
ul_user ann@example.com

# argon2id hashes made by libsodium itself: at m=8 KiB, t=1 (the least
# cost there is) for a user, and crypt(5) SHA-512 for a legacy account
hash_argon2() {
	$PY -c '
import ctypes, sys
s = ctypes.CDLL("libsodium.so.23"); s.sodium_init()
out = ctypes.create_string_buffer(128); pw = sys.argv[1].encode()
assert s.crypto_pwhash_str(out, pw, ctypes.c_ulonglong(len(pw)),
    ctypes.c_ulonglong(1), ctypes.c_size_t(8192)) == 0
print(out.value.decode())' "$1"
}
hash_sha512() { $PY -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_SHA512)))' "$1"; }
ARGON_SMALL=$(hash_argon2 "$PASSWORD")
SHA512=$(hash_sha512 'the legacy password')
case $ARGON_SMALL in '$argon2id$v=19$m=8,t=1,p=1$'*) ;; *) echo "no small hash: $ARGON_SMALL"; exit 99 ;; esac
case $SHA512 in '$6$'*) ;; *) echo "no crypt hash: $SHA512"; exit 99 ;; esac
# one over the `sensitive` cost (1 GiB, t=4): what the attack imported
ARGON_HUGE='$argon2id$v=19$m=1048577,t=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'

CREATED=1796162846
# account NAME UNIX_USER UID [MORE JSON]: one account line (legacy unless
# MORE names an owner)
account() {
	printf '{"type":"account","product":"comms","name":"%s","unix_user":"%s","uid":%s,"email":"%s@example.com","friendly_name":"imported","created":%s%s}\n' \
	    "$1" "$2" "$3" "$1" "$CREATED" "${4:-}"
}
user() { # EMAIL PWHASH
	printf '{"type":"user","email":"%s","pwhash":"%s","confirmed":true,"created":%s,"pw_changed":%s,"remember_epoch":1,"id":"%s"}\n' \
	    "$1" "$2" "$CREATED" "$CREATED" "$(printf '%s' "$1" | md5sum | cut -c1-32)"
}
# import_refused CHECK NEEDLE: importing $T/in exits 1 naming the line
# (the lines go through a file: a check in a pipeline would count in a
# subshell only)
import_refused() {
	out=$(ctl import <"$T/in" 2>&1) && rc=0 || rc=$?
	expect_eq "row 1: $1: import exits 1" 1 "$rc"
	expect_contains "row 1: $1: the message names the line and why" "$out" "$2"
}
absent() { # CHECK PRODUCT ACCOUNT: the account is not in the store
	if ctl account show "$2" "$3" >/dev/null 2>&1; then
		fail "row 1: $1: account $3 was stored anyway"
	else
		pass "row 1: $1: nothing stored"
	fi
}
uid_free=900000050

account evil1 'ro:ot' $uid_free >"$T/in"
import_refused "a Unix name with ':'" \
	'line 1: not a valid Unix user name: ro:ot'
absent "a Unix name with ':'" comms evil1
account evil2 'ev\nil' $uid_free >"$T/in"
import_refused "a Unix name with a newline" \
	'line 1: not a valid Unix user name'
absent "a Unix name with a newline" comms evil2
account evil3 root $uid_free >"$T/in"
import_refused "the Unix name root" \
	'line 1: root is a local user or group in /etc'
absent "the Unix name root" comms evil3
account evil4 sudo $uid_free >"$T/in"
import_refused "a local group's name (sudo)" \
	'line 1: sudo is a local user or group in /etc'
absent "a local group's name" comms evil4
account evil5 evil5 27 >"$T/in"
import_refused "uid 27 (a local gid, below uid_min)" \
	'line 1: uid 27 is outside uid_min..uid_max (1000..999999999)'
absent "uid 27" comms evil5
account evil6 evil6 65534 >"$T/in"
import_refused "uid 65534 (nobody, inside the range)" \
	"line 1: uid 65534 is a local user's or group's in /etc/passwd or /etc/group"
absent "uid 65534" comms evil6
user huge@example.com "$ARGON_HUGE" >"$T/in"
import_refused "argon2id above the sensitive cost" \
	'line 1: password of the user: not an argon2id hash of a cost up to `sensitive`'
out=$(ctl user show huge@example.com 2>&1) && rc=0 || rc=$?
expect_eq "row 1: argon2id above the sensitive cost: no user stored" 1 "$rc"
# a migrated user's shadow hash (M1) is carried until its first login; an
# MD5 one, which libxcrypt's policy no longer verifies, or a locked one is not
user crypt@example.com '$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0' >"$T/in"
import_refused "an MD5 crypt(5) hash on a user" \
	'line 1: password of the user: not an argon2id hash'
out=$(ctl user show crypt@example.com 2>&1) && rc=0 || rc=$?
expect_eq "row 1: an MD5 crypt(5) hash on a user: no user stored" 1 "$rc"
user locked@example.com '!locked' >"$T/in"
import_refused "a locked crypt(5) entry on a user" \
	'line 1: password of the user: not an argon2id hash'
user migrated@example.com "$SHA512" >"$T/in"
out=$(ctl import <"$T/in" 2>&1) && rc=0 || rc=$?
expect_eq "M1: a migrated user's SHA-512 hash is carried by an import" 0 "$rc"
account evil7 evil7 $uid_free ",\"owner\":\"ann@example.com\",\"pwhash\":\"$SHA512\"" >"$T/in"
import_refused "a crypt(5) hash on a linked account" 'line 1: L5: a linked account has no password'
absent "a crypt(5) hash on a linked account" comms evil7

# a batch with a bad third line: nothing of it is stored
{
	user batch@example.com "$ARGON_SMALL"
	account batch batch 900000060 ',"owner":"batch@example.com"'
	account evil8 root 900000061
} >"$T/in"
import_refused "a batch with root on line 3" 'line 3: root is a local user or group'
absent "a batch with root on line 3: the good account of line 2" comms batch
out=$(ctl user show batch@example.com 2>&1) && rc=0 || rc=$?
expect_eq "row 1: a batch with root on line 3: the good user of line 1 is not stored" 1 "$rc"

# what the rules allow goes in, and works through PAM
{
	user zed@example.com "$ARGON_SMALL"
	account zed zed 900000070 ',"owner":"zed@example.com"'
	account oldie oldie 900000071 ",\"pwhash\":\"$SHA512\""
} >"$T/good.jsonl"
out=$(ctl import <"$T/good.jsonl" 2>&1) && rc=0 || rc=$?
expect_eq "row 1: argon2id at m=8,t=1 and a crypt(5) legacy account: import exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || echo "$out" | sed 's/^/#   /'
out=$(answers zed@example.com "$PASSWORD" | pam zed)
expect_contains "row 1: the imported m=8,t=1 user logs in" "$out" "auth: PAM_SUCCESS"
# (the helper verifies argon2id only, so this account cannot log in with
# its crypt(5) hash yet: M1's "the old hash until the first login" is not
# built; here the rule under test is what import lets in)
out=$(ctl account show comms oldie 2>&1 || true)
expect_contains "row 1: the crypt(5) hash is stored on a legacy account" "$out" "legacy: yes"

# ---- the PAM module: PAM_USER resolving outside uid_min..uid_max ----
ul_account comms pat ann@example.com --uid 900000080
printf 'pat:x:999:999::/home/pat:/bin/sh\n' >"$T/low.passwd"
printf 'pat:x:900000080:900000080::/home/pat:/bin/sh\n' >"$T/right.passwd"
printf 'pat:x:999:\n' >"$T/low.group"
# resolved PASSWD OPS [pamdrive options]: pamdrive with pat resolving as
# that file says, under a /dev/log of its own; prints what the module logged
resolved() {
	f=$1; shift
	syslogged env LD_PRELOAD="$ASAN_PRELOAD${ASAN_PRELOAD:+ }$WRAPPER" \
	    NSS_WRAPPER_PASSWD="$T/$f.passwd" NSS_WRAPPER_GROUP="$T/low.group" \
	    "$PAMDRIVE" -d "$T/pam.d" "$@" ultest pat
}
expect_eq "row 1: (control) nss_wrapper resolves pat to uid 999" "pat:x:999:999::/home/pat:/bin/sh" \
	"$(nss_files "$T/low.passwd" "$T/low.group" getent passwd pat)"
answers ann@example.com "$PASSWORD" >"$T/answers"
log=$(resolved low -o auth)
expect_contains "row 1: PAM_USER at uid 999: auth is PAM_AUTH_ERR" "$(cat "$T/cmd.out")" \
	"auth: PAM_AUTH_ERR"
expect_contains "row 1: PAM_USER at uid 999: the module logs why" "$log" \
	"refused: pat is a product account of comms, but resolves to a uid outside uid_min..uid_max (1000..999999999)"
: >"$T/answers"
log=$(resolved low -o acct -e UNILOGIN_EMAIL=ann@example.com)
expect_contains "row 1: PAM_USER at uid 999: account is PAM_PERM_DENIED" "$(cat "$T/cmd.out")" \
	"acct: PAM_PERM_DENIED"
expect_contains "row 1: PAM_USER at uid 999: account logs why" "$log" \
	"resolves to a uid outside uid_min..uid_max"
# the control: the same login with pat at its own uid passes
answers ann@example.com "$PASSWORD" >"$T/answers"
log=$(resolved right -o auth,acct)
expect_contains "row 1: (control) PAM_USER at its own uid: auth passes" "$(cat "$T/cmd.out")" \
	"auth: PAM_SUCCESS"
expect_contains "row 1: (control) PAM_USER at its own uid: account passes" "$(cat "$T/cmd.out")" \
	"acct: PAM_SUCCESS"
ul_done
