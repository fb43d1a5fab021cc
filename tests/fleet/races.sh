#!/bin/sh
# Single-use codes and TOTP steps raced across the helpers of several
# hosts (T3, T4, U2, U5, F1): a real unilogind per simulated host (h1..h3,
# each reading its own replica c1..c3 and writing to p1, with its own
# socket, state_dir and config), driven over the wire protocol by
# tests/fleet/races.py, the last logins through the real libpam:
#   U2: 100 confirmation codes, each sent to two hosts at once: each
#       accepted exactly once;
#   T3: 1,000 trials of one TOTP step's code sent to two hosts at once
#       (100 users, ten steps each, going up): exactly one accepted in
#       each; a newer step on one host, then an older one on another:
#       refused, through PAM as well;
#   T4: 1,000 recovery codes (ten per user), each sent to two hosts at
#       once: each accepted exactly once; the directory holds none of
#       them afterwards;
#   U5: 100 reset codes, each sent to two hosts at once: each exactly once.
# FLEET_VIA=verifiers (tests/fleet/via_verifiers/races.sh, issue 16): the
# same trials with every host in role = host, relaying to two verifiers
# (h1, h3 to v1 first, h2 to v2): a race between two hosts is a race
# between two verifiers on the one provider, or two sessions of one; the
# users, accounts, enrolments and resets are made on the verifiers (a
# host makes no admin changes), the codes raced through the hosts.
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/lib.sh"
fleet_need_driver totp

FLEET_NOSYNC=1    # see fleet_config: the trials need no fsync of each write
fleet_init
fleet_load
fleet_start $FLEET_NAMES
fleet_synced $FLEET_REPLICAS

# no lockout in the way: a losing racer's code counts as a failure (S3),
# the next trial's win starts the count again
for h in h1 h2 h3; do
	fleet_helper_config "$h" "totp_window = 10" "lockout_attempts = 1000"
done
fleet_helper_start h1 h2 h3
socks= admins=
for h in h1 h2 h3; do
	socks="$socks $(fleet_helper_socket "$h")"
	admins="$admins --admin $(fleet_admin_socket "$h")"
done

drv=0
# shellcheck disable=SC2086
PYTHONDONTWRITEBYTECODE=1 timeout 300 python3 "$top_srcdir/tests/fleet/races.py" codes \
	--workers 16 --users 100 --confirm 100 --totp 1000 --recovery 1000 --reset 100 --window 10 \
	$socks $admins >"$T/codes.out" 2>&1 || drv=$?
sed 's/^/# /' "$T/codes.out"
expect_eq "the driver ran to its end" 0 "$drv"
out=$(cat "$T/codes.out")
expect_contains "U2: a confirmation code at two hosts at once: accepted exactly once, 100 of 100" \
	"$out" "confirm: trials 100 exactly_one 100 both 0 none 0 other 0"
expect_contains "T3: one step's code at two hosts at once: exactly one accepted, 1000 of 1000" \
	"$out" "totp: trials 1000 exactly_one 1000 both 0 none 0 other 0"
expect_contains "T3: a newer step on host 1 is accepted" "$out" "newer step on host 1: accepted"
expect_contains "T3: an older step after it on host 2 is refused" "$out" \
	"older step on host 2: refused"
expect_contains "T4: a recovery code at two hosts at once: accepted exactly once, 1000 of 1000" \
	"$out" "recovery: trials 1000 exactly_one 1000 both 0 none 0 other 0"
expect_contains "U5: a reset code at two hosts at once: accepted exactly once, 100 of 100" \
	"$out" "reset: trials 100 exactly_one 100 both 0 none 0 other 0"

# T4: every replica agrees that the codes are spent: the users' entries
# hold no recovery code (ten each, all used).  (With FLEET_VIA=verifiers
# a host's replica never holds one, spent or not: p1 and the verifiers'
# replicas s1, s2 are the check there.)
fleet_synced $FLEET_REPLICAS
for n in p1 $FLEET_REPLICAS; do
	expect_eq "T4: $n holds no recovery code of the 100 users" 0 \
		"$(fleet_search "$n" "ou=users,$FLEET_SUFFIX" '(mail=race*)' uniRecoveryCode |
		    grep -c '^uniRecoveryCode' || true)"
done

# T3 through the real libpam: a user's code of the step after the current
# one on h2, then the current step's code on h3: the older one is refused
code=$(fleet_wctl h1 --json user add pam@example.com | sed -n 's/.*"confirmation_code":"\([^"]*\)".*/\1/p')
answers "$code" "$PASSWORD" |
	"$UL_BIN/unilogin" --config "$(fleet_wconf h1)" --password-stdin verify pam@example.com >/dev/null
fleet_wctl h1 account add comms pamuser --email pam@example.com >/dev/null
secret=$(fleet_wctl h1 --json tfa enroll pam@example.com --digits 6 |
	sed -n 's/.*"secret":"\([^"]*\)".*/\1/p')
fleet_wctl h1 tfa confirm pam@example.com "$(totp "$secret" 6 -60)" >/dev/null
fleet_synced $FLEET_REPLICAS    # (written through h1: h2 and h3 read theirs)
# (the accepted code kept: made again after the step turned, it would be
# a newer step's, rightly accepted)
next=$(totp "$secret" 6 +30)
out=$(answers pam@example.com "$PASSWORD" "$next" | fleet_pam h2 pamuser)
expect_contains "T3 through PAM: the next step's code on h2 logs in" "$out" "auth: PAM_SUCCESS"
out=$(answers pam@example.com "$PASSWORD" "$(totp "$secret" 6)" | fleet_pam h3 pamuser)
expect_contains "T3 through PAM: the current step's code on h3 after it: refused" "$out" \
	"auth: PAM_AUTH_ERR"
out=$(answers pam@example.com "$PASSWORD" "$next" | fleet_pam h1 pamuser)
expect_contains "T3 through PAM: the accepted step again on h1: refused" "$out" \
	"auth: PAM_AUTH_ERR"

fleet_helper_stop h1 h2 h3
fleet_stop $FLEET_NAMES
ul_done
