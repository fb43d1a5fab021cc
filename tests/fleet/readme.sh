#!/bin/sh
# The README's fleet walk-through ("A fleet of hosts", "Try it on one
# machine"), run word for word: the shell blocks between its
# <!-- fleet-walkthrough --> markers, taken from README.md, run by sh -e
# in this test's temporary dir (TMPDIR, so its `mktemp -d` lands there),
# with the built programs first in PATH, the source tree's examples and two
# free ports.  Then, as "First steps" says, one user with a TOTP app and a
# comms account, added on host 1, logs in through the real PAM stack
# (tests/pamdrive) on host 1 and on host 2; the code used on host 1 is
# refused on host 2 (T3: one step, fleet-wide).  Every slapd and helper it
# started is stopped on exit.
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/lib.sh"
command -v slapadd >/dev/null 2>&1 && command -v slapcat >/dev/null 2>&1 ||
	ul_skip "needs slapadd and slapcat: apt-get install slapd"

W=
readme_cleanup() {
	if [ -n "$W" ]; then
		for f in "$W"/host1/pid "$W"/host2/pid "$W"/*/run/slapd.pid; do
			[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
		done
	fi
	fleet_cleanup
}
trap readme_cleanup EXIT

# the blocks, as the README has them
sed -n '/^<!-- fleet-walkthrough -->$/,/^<!-- \/fleet-walkthrough -->$/p' \
    "$top_srcdir/README.md" |
	awk '/^```sh$/ {on = 1; next} /^```$/ {on = 0; next} on' >"$T/walk.sh"
expect_eq "the README has the walk-through's three blocks" 3 \
	"$(sed -n '/^<!-- fleet-walkthrough -->$/,/^<!-- \/fleet-walkthrough -->$/p' \
	    "$top_srcdir/README.md" | grep -c '^```sh$')"

mkdir "$T/tmp"
P1=$(fleet_free_port)
rc=0
(cd "$T" && env TMPDIR="$T/tmp" PATH="$UL_BIN:$PATH:/usr/sbin:/sbin" \
    EX="$top_srcdir/examples/ldap" P1="$P1" P2="$(fleet_free_port)" \
    sh -e "$T/walk.sh" >"$T/walk.out" 2>&1 </dev/null) || rc=$?
W=$(ls -d "$T"/tmp/tmp.* 2>/dev/null | head -1)
expect_eq "the walk-through runs to its end (sh -e)" 0 "$rc"
if [ "$rc" -ne 0 ] || [ -z "$W" ]; then
	sed 's/^/#   /' "$T/walk.out"
	for f in "$W"/host1/log "$W"/host2/log; do
		[ -f "$f" ] && sed 's/^/#   /' "$f"
	done
	ul_done
fi
fps=$(grep -c . "$T/walk.out" || true)
expect_eq "two fingerprints printed" 2 "$fps"
expect_eq "... the same on both hosts" 1 "$(sort -u "$T/walk.out" | grep -c .)"

# csn URI HOST: the contextCSN values of the suffix on URI, as HOST's helper
csn() {
	ldapsearch -x -LLL -H "$1" -D "cn=$2,ou=helpers,dc=example,dc=net" -y "$W/$2.pw" \
	    -b dc=example,dc=net -s base contextCSN 2>/dev/null | grep '^contextCSN' | sort
}
# host 1's writes return once its own replica shows them; host 2's replica
# is waited for (bounded, as fleet_synced) before host 2 is asked
c2_synced() {
	want=$(csn "ldap://127.0.0.1:$P1/" host1)
	[ -n "$want" ] || { echo "no contextCSN on p1"; exit 99; }
	i=0
	until [ "$(csn "ldapi://$(printf %s "$W/c2/sock" | sed 's|/|%2F|g')" host2)" = "$want" ]; do
		i=$((i + 1))
		[ "$i" -le "$FLEET_TRIES" ] || { echo "c2 did not catch up with p1"; exit 99; }
		sleep 0.025
	done
}

ctl1() { "$UL_BIN/uniloginctl" --config "$W/host1/unilogin.conf" "$@"; }
ctl2() { "$UL_BIN/uniloginctl" --config "$W/host2/unilogin.conf" "$@"; }
# "First steps" on host 1: a user, an authenticator app, an account
code=$(ctl1 --json user add ann@example.com | sed -n 's/.*"confirmation_code":"\([^"]*\)".*/\1/p')
answers "$code" "$PASSWORD" |
	"$UL_BIN/unilogin" --config "$W/host1/unilogin.conf" --password-stdin verify ann@example.com >/dev/null
ctl1 --json tfa enroll ann@example.com >"$T/enroll.json"
SECRET=$(sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' "$T/enroll.json")
ctl1 tfa confirm ann@example.com "$(totp "$SECRET" 6 -30)" >/dev/null
ctl1 product add comms >/dev/null
ctl1 account add comms ann --email ann@example.com >/dev/null
c2_synced
expect_contains "host 2 shows the account host 1 added" "$(ctl2 account show comms ann)" \
	"ann@example.com"

for h in 1 2; do
	mkdir -p "$T/pam$h"
	printf '%s required %s conf=%s\n' auth "$MODULE" "$W/host$h/unilogin.conf" \
	    account "$MODULE" "$W/host$h/unilogin.conf" >"$T/pam$h/ultest"
done
login() { # HOST CODE
	answers ann@example.com "$PASSWORD" "$2" |
		"$PAMDRIVE" -d "$T/pam$1" ultest ann 2>>"$T/pam.err" || true
}
now=$(totp "$SECRET" 6)
out=$(login 1 "$now")
expect_contains "host 1: ann logs in with her password and TOTP code" "$out" "auth: PAM_SUCCESS"
expect_contains "host 1: ... and her account is open" "$out" "acct: PAM_SUCCESS"
c2_synced
out=$(login 2 "$now")
expect_contains "host 2: the code host 1 took is spent there too (T3)" "$out" "auth: PAM_AUTH_ERR"
out=$(login 2 "$(totp "$SECRET" 6 +30)")
expect_contains "host 2: ann logs in with the next code" "$out" "auth: PAM_SUCCESS"
expect_contains "host 2: ... and her account is open" "$out" "acct: PAM_SUCCESS"
ul_done
