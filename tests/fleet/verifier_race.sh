#!/bin/sh
# Races through hosts in role = host (issue 16; issue 15's races with the
# logins going through verifiers): h1 relays to v1, h2 to v2, h3 to v1, on
# the one directory.  A recovery code sent at once through two hosts is
# accepted exactly once (100 trials); a TOTP step sent at once through two
# hosts, once (each usable step), and an older step after a newer one is
# refused (T3, T4); 60 wrong passwords at once over three hosts count
# exactly lockout_attempts failures, the rest are locked out (S3).
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/lib.sh"
. "$top_srcdir/tests/fleet/verifier_lib.sh"

vf_fleet_up
for n in v1 v2; do vf_conf "$n" "${n#v}" "totp_window = 3" "lockout_attempts = 5"; done
vf_conf h2 2 "verifiers = $(vf_addr v2),$(vf_addr v1)"
vf_start v1; vf_start v2; vf_start h1; vf_start h2; vf_start h3
vf_user v1 alice@example.com
vf_user v1 bob@example.com
vf_totp v1 alice@example.com
fleet_synced c1 c2 c3
race() { PYTHONPATH=$top_srcdir/tests python3 "$top_srcdir/tests/fleet/verifier_race.py" "$@"; }
s() { echo "$T/$1/run/unilogin.sock"; }

SETS=${UL_RACE_SETS:-10}
out=$(race recovery "$(s v1)" "$(s h1)" "$(s h2)" alice@example.com alice "$PASSWORD" "$SETS")
expect_eq "T4: a recovery code at once through h1 (v1) and h2 (v2): accepted exactly once" \
	"trials $((SETS * 10)) accepted_once $((SETS * 10)) twice 0 never 0" "$out"
expect_contains "... both verifiers accepted some" "$(cat "$T/v2/log")" "recovery code"

# confirmed with the previous step: the current one and three after it
out=$(race totp "$(s h1)" "$(s h2)" alice@example.com alice "$PASSWORD" "$SECRET" 0 30 60 90)
expect_contains "T3: a TOTP step at once through h1 (v1) and h2 (v2): accepted once" "$out" \
	"steps 4 one 4 both 0 none 0"
expect_contains "T3: an older step after a newer one: refused" "$out" "older refused yes"

out=$(race lockout "$(s h1)" "$(s h2)" "$(s h3)" bob@example.com bob 60)
expect_eq "S3: 60 wrong passwords at once over 3 hosts, 2 verifiers: 5 counted, 55 locked out" \
	"-21 5
-22 55" "$out"
expect_contains "S3: ... the lockout set once" "$(cat "$T/v1/log" "$T/v2/log")" \
	"lockout: bob@example.com for 900 s after 5 failures"
out=$(answers bob@example.com "$PASSWORD" 000000 | vf_pam h3 bob)
expect_contains "S3: every host then says PAM_MAXTRIES" "$out" "auth: PAM_MAXTRIES"
# a ticket is bound to the host's certificate: h1's ticket, sent by h3
# (both to v1) is refused; by h1, it is served
rc=$(printf 'email=alice@example.com\n' | python3 "$top_srcdir/tests/ulwire.py" "$(s v1)" tfa_recovery_codes |
	sed -n 's/^recovery_codes=//p' | head -1)
wire() { sock=$1 type=$2; shift 2; printf '%s\n' "$@" | python3 "$top_srcdir/tests/ulwire.py" "$sock" "$type"; }
ticket=$(wire "$(s h1)" login_begin product=comms unix_user=alice email=alice@example.com \
	"password=$PASSWORD" service=ultest | sed -n 's/^ticket=//p')
expect_contains "h1's ticket sent by h3 (same verifier, same uid): refused" \
	"$(wire "$(s h3)" login_code "ticket=$ticket" "code=$rc")" "result=-20"
expect_contains "... sent by h1: served" "$(wire "$(s h1)" login_code "ticket=$ticket" "code=$rc")" \
	"result=0"
vf_done
