#!/bin/sh
# Failover keeps T3: the step floor that `uniloginctl fleet promote` writes
# on the new provider (FLEET.md §3).  p1 accepts TOTP codes of two users
# through host 1 while p2 (its mirror) is stopped; p1 is killed and p2
# restarted without those steps (checked: p2 holds the older ones); the
# helpers and the hosts' replicas move to p2, as an operator moves the
# name behind ldap_write_uri.  Before the promotion, no TOTP code gives a
# login on p2 (PAM_AUTHINFO_UNAVAIL: the floor names p1, the provider last
# promoted), so X's code, which p2 would take again, is no replay;
# `fleet promote` writes the floor; then user Y's code is refused on both
# hosts, so is a code of the floor's own step, and the first code after
# it is accepted, once.  The test prints how long users wait.  The helpers run on
# libfaketime (a clock file the test moves): no test waits for a step.
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/lib.sh"
. "$top_srcdir/tests/fleet/hosts.sh"
ul_no_sanitizers "libfaketime together with ASan (the helper stalls)"
FAKETIME_LIB=
for f in /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1; do
	[ -e "$f" ] && FAKETIME_LIB=$f
done
[ -n "$FAKETIME_LIB" ] || ul_skip "libfaketime (package faketime) is needed"
echo "+0" >"$T/clock"
WRAP="env LD_PRELOAD=$FAKETIME_LIB FAKETIME_TIMESTAMP_FILE=$T/clock FAKETIME_NO_CACHE=1"
offset=0                # the helpers' clock: real time + offset seconds
set_clock() { offset=$1; echo "+$1" >"$T/clock"; }
# code SECRET SECONDS: the code the app shows at the helpers' now + SECONDS
code() { oathtool --totp -b -d 6 -N "now +$((offset + $2)) seconds" "$1"; }
login() { answers "$2@example.com" "$PASSWORD" "$3" | hpam "$1" "$2" | grep '^auth:'; }
login_account() { hpam "$1" "$2" -o acct </dev/null | grep "^acct"; }
last_step() {
	fleet_search "$1" "ou=users,$FLEET_SUFFIX" "(mail=$2@example.com)" uniTotpLastStep |
		sed -n 's/^uniTotpLastStep: //p'
}

fleet_init
fleet_load
fleet_start $FLEET_NAMES
fleet_synced c1 c2 c3 p2

host_config 1 c1
host_config 2 c2
host_start 1 $WRAP
host_start 2 $WRAP
hctl 1 product add comms >/dev/null
for u in x y; do
	host_user 1 "$u@example.com"
	hctl 1 account add comms "$u" --email "$u@example.com" >/dev/null
	host_totp_user 1 "$u@example.com"
	eval "secret_$u=\$SECRET"
done
fleet_synced c1 c2 p2
before_x=$(last_step p2 x)

# p2 hears nothing while p1 accepts
kill -STOP "$(cat "$FLEET_DIR/p2/pid")"
cx=$(code "$secret_x" 0)
cy=$(code "$secret_y" 0)
expect_eq "p1 active: X's code accepted on host 1" "auth: PAM_SUCCESS" "$(login 1 x "$cx")"
expect_eq "p1 active: Y's code accepted on host 1" "auth: PAM_SUCCESS" "$(login 1 y "$cy")"
expect_eq "T3 on one provider: X's code again on host 2 is refused" "auth: PAM_AUTH_ERR" \
	"$(login 2 x "$cx")"
# p1 dies; p2, stopped meanwhile, dies with what it had not read
kill -KILL "$(cat "$FLEET_DIR/p1/pid")"
kill -KILL "$(cat "$FLEET_DIR/p2/pid")"
wait "$(cat "$FLEET_DIR/p1/pid")" "$(cat "$FLEET_DIR/p2/pid")" 2>/dev/null || true
rm -f "$FLEET_DIR/p1/pid" "$FLEET_DIR/p2/pid"
fleet_start p2
expect_eq "p2 lacks the step p1 accepted last (its copy holds the confirmation's)" \
	"$before_x" "$(last_step p2 x)"

# the operator moves the name helpers write to and replicas follow to p2
for c in c1 c2; do
	sed -i "s|provider=$(fleet_url p1)|provider=$(fleet_url p2)|" "$FLEET_DIR/$c/slapd.conf"
	fleet_stop $c
	fleet_start $c
done
host_stop 1; host_stop 2
FLEET_WRITER=p2
host_config 1 c1
host_config 2 c2
host_start 1 $WRAP
host_start 2 $WRAP
# the name moved, no promotion yet: p2 is not the provider the floor names
expect_eq "not promoted yet: X's code replayed on host 2 gives no login (unavailable)" \
	"auth: PAM_AUTHINFO_UNAVAIL" "$(login 2 x "$cx")"
expect_eq "... nor a fresh code" "auth: PAM_AUTHINFO_UNAVAIL" \
	"$(login 1 x "$(code "$secret_x" 30)")"
expect_eq "... while the account check still answers" "acct: PAM_SUCCESS" \
	"$(login_account 2 x)"
expect_contains "... and the helper says why" "$(cat "$T/h2/helper.log")" \
	"not promoted after a failover: uniloginctl fleet promote"

rc=0; out=$(hctl 2 fleet promote) || rc=$?
echo "$out" | sed 's/^/# /'
expect_eq "fleet promote: exit 0" 0 "$rc"
now=$(( $(date +%s) + offset ))
floor=$(echo "$out" | sed -n 's/^totp_step: //p')
expect_eq "the floor: this step + totp_window + 1" "$(( now / 30 + 2 ))" "$floor"
expect_eq "... written on p2" "uniStepFloor: $floor" \
	"$(fleet_search p2 "cn=step-floor,ou=meta,$FLEET_SUFFIX" '(objectClass=*)' uniStepFloor |
	    grep '^uniStepFloor')"
expect_eq "... and shown by fleet status" "$floor" \
	"$(hctl 1 fleet status | sed -n 's/^totp_step: //p')"

expect_eq "T3 across the failover: Y's code replayed on host 2 is refused" \
	"auth: PAM_AUTH_ERR" "$(login 2 y "$cy")"
expect_eq "... and on host 1" "auth: PAM_AUTH_ERR" "$(login 1 y "$cy")"
# the last step at or below the floor, the first above it
open_at=$(( (floor + 1) * 30 ))
wait_s=$(( open_at - now ))
echo "# users wait $wait_s s after the promotion (the floor: $floor, promoted at step $(( now / 30 )), window 1)"
set_clock $(( offset + open_at - 30 - now + 1 ))
expect_eq "a code of the floor's own step is refused" "auth: PAM_AUTH_ERR" \
	"$(login 2 y "$(code "$secret_y" 0)")"
set_clock $(( offset + 30 ))
expect_eq "the first code after the floor is accepted" "auth: PAM_SUCCESS" \
	"$(login 2 y "$(code "$secret_y" 0)")"
expect_eq "... once" "auth: PAM_AUTH_ERR" "$(login 1 y "$(code "$secret_y" 0)")"

out=$(hctl 2 fleet promote)
expect_contains "a second promotion at once keeps the floor (never lowered)" "$out" \
	"was $floor"
host_stop 1; host_stop 2
ul_done
