#!/bin/sh
# S1 and S3: what a wrong answer costs, and how often it may be tried.
# Each wrong answer runs exactly one argon2id, like a right one (the
# helper's kdf_runs counter shows it); a locked-out email runs none.
# Unprivileged callers get a few password checks a minute; lockout counts
# live in the store and survive a restart.
. "$top_srcdir/tests/lib.sh"

ul_config "lockout_seconds = 600"
ul_start
ul_user lee@example.com
ul_account comms lee lee@example.com
ul_user mo@example.com
ul_account comms mo mo@example.com
runs() { ctl --json status | sed -n 's/.*"kdf_runs":\([0-9]*\).*/\1/p'; }
cost() { # the KDF runs of one login with these answers
	before=$(runs)
	answers "$@" | pam lee >/dev/null
	echo $(( $(runs) - before ))
}
expect_eq "S1: an unknown email costs one argon2id" 1 "$(cost nobody@example.com "$PASSWORD" 000000)"
expect_eq "S1: a wrong password costs one argon2id" 1 "$(cost lee@example.com 'wrong password' 000000)"
expect_eq "S1: another user's right password costs one" 1 "$(cost mo@example.com "$PASSWORD" 000000)"
expect_eq "S1: a malformed email costs one too" 1 "$(cost 'not an email' "$PASSWORD" 000000)"
expect_eq "a right password costs one" 1 "$(cost lee@example.com "$PASSWORD")"

# S3: five failures in a row lock the email out; a restart keeps it so
for i in 1 2 3 4 5; do answers lee@example.com 'wrong password' 000000 | pam lee >/dev/null; done
out=$(answers lee@example.com "$PASSWORD" | pam lee)
expect_contains "S3: locked out after five failures" "$out" "auth: PAM_MAXTRIES"
expect_eq "S3: a locked-out attempt runs no argon2id" 0 "$(cost lee@example.com "$PASSWORD")"
ul_kill9
ul_start
out=$(answers lee@example.com "$PASSWORD" | pam lee)
expect_contains "S3: the lockout survives a restart (it is in the store)" "$out" \
	"auth: PAM_MAXTRIES"

# S3: unprivileged callers: a burst of password checks, then one a few seconds
[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null || { ul_done; }
ul_stop
ul_config "lockout_seconds = 600" "rate_burst = 10" "rate_per_minute = 10"
ul_start
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
limited=0
for i in $(seq 1 12); do
	out=$(answers mo@example.com "$PASSWORD" '' | as_nobody "$UL_BIN/unilogin" \
		--config "$T/unilogin.conf" --password-stdin tfa list 2>&1) || true
	case $out in *"too many requests"*) limited=$((limited + 1)) ;; esac
done
if [ "$limited" -ge 1 ]; then pass "S3: an unprivileged caller is rate-limited ($limited of 12 refused)"
else fail "S3: 12 quick password checks from nobody, none limited"; fi
out=$(answers mo@example.com "$PASSWORD" | pam mo)
expect_contains "S3: root's logins are not limited by nobody's" "$out" "auth: PAM_SUCCESS"
expect_contains "S3: the limit is logged" "$(cat "$T/helper.log")" "more than 10 password checks a minute"
ul_done
