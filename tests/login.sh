#!/bin/sh
# Email + password through the real PAM stack (S1, S2, U2, U3, U7, S6).
. "$top_srcdir/tests/lib.sh"

ul_config
ul_start
ul_user alice@example.com
ul_user bob@example.com
ul_account comms alice alice@example.com
ul_account comms bob bob@example.com

out=$(answers alice@example.com "$PASSWORD" | pam alice)
expect_contains "right email and password: auth" "$out" "auth: PAM_SUCCESS"
expect_contains "right email and password: account" "$out" "acct: PAM_SUCCESS"
expect_contains "prompts Email with echo" "$out" "prompt: Email: "
expect_contains "prompts Password without echo" "$out" "prompt(hidden): Password: "
expect_contains "L7: UNILOGIN_EMAIL" "$out" "env: UNILOGIN_EMAIL=alice@example.com"
expect_contains "L7: UNILOGIN_ACCOUNT" "$out" "env: UNILOGIN_ACCOUNT=alice"
expect_contains "L7: UNILOGIN_ROLE" "$out" "env: UNILOGIN_ROLE=owner"

out=$(answers '  Alice@Example.COM ' "$PASSWORD" | pam alice)
expect_contains "U1: email compared case-insensitively after trimming" "$out" "auth: PAM_SUCCESS"

# S1: three wrong answers, one screen; each is asked a code as well
wrong_pw=$(answers alice@example.com 'not the password' 000000 | pam alice)
unknown=$(answers nobody@example.com "$PASSWORD" 000000 | pam alice)
other=$(answers bob@example.com "$PASSWORD" 000000 | pam alice)
expect_contains "S1: a wrong password is asked a code too" "$wrong_pw" \
	"prompt(hidden): Verification code: "
expect_contains "S1: wrong password refused" "$wrong_pw" "auth: PAM_AUTH_ERR"
expect_contains "S1: wrong password message" "$wrong_pw" "error: Authentication failed."
expect_eq "S1: unknown email looks like a wrong password" "$wrong_pw" "$unknown"
expect_eq "S1: another user's email looks like a wrong password" "$wrong_pw" "$other"
expect_contains "S1: the helper logs the reason (unknown email)" \
	"$(cat "$T/helper.log")" "detail=unknown email"
expect_contains "S1: the helper logs the reason (no access)" \
	"$(cat "$T/helper.log")" "detail=no access to this account"

out=$(answers x y | pam nosuchuser)
expect_contains "not an account of this product: PAM_USER_UNKNOWN" "$out" "auth: PAM_USER_UNKNOWN"
expect_lacks "not an account of this product: no prompt" "$out" "prompt"

# U2/S2: an unconfirmed email is told only after the right password
ctl user add carol@example.com >/dev/null
answers 'a password for carol' | ctl --password-stdin user passwd carol@example.com >/dev/null
out=$(ctl account add comms carol --email carol@example.com 2>&1 || true)
expect_contains "L1a: no account for an unconfirmed user" "$out" "no confirmed user carol@example.com"
out=$(answers carol@example.com 'a password for carol' 000000 | pam bob)
expect_contains "U2: unconfirmed refused" "$out" "auth: PAM_AUTH_ERR"
expect_contains "U2: told after the right password" "$out" "email address is not confirmed"
out=$(answers carol@example.com 'wrong password' 000000 | pam bob)
expect_lacks "S2: not told after a wrong password" "$out" "confirmed"
expect_contains "S2: a wrong password is just that" "$out" "error: Authentication failed."

# U7: an admin lock
ctl user lock alice@example.com >/dev/null
out=$(answers alice@example.com "$PASSWORD" | pam alice)
expect_contains "U7: locked user refused" "$out" "auth: PAM_AUTH_ERR"
expect_contains "U7: locked user told after the right password" "$out" "locked by an administrator"
out=$(answers alice@example.com 'wrong password' 000000 | pam alice)
expect_lacks "S2: lock not told after a wrong password" "$out" "locked"
out=$(pam alice -o acct -e UNILOGIN_EMAIL=alice@example.com </dev/null)
expect_contains "U7: the account phase refuses a user locked after auth" "$out" "acct: PAM_PERM_DENIED"
out=$(pam alice -o acct </dev/null)
expect_contains "account phase without an email checks the account only" "$out" "acct: PAM_SUCCESS"
ctl user unlock alice@example.com >/dev/null
out=$(answers alice@example.com "$PASSWORD" | pam alice)
expect_contains "U7: unlocked user logs in again" "$out" "auth: PAM_SUCCESS"

# use_first_pass / try_first_pass: the password typed for an earlier module
# of the stack (pam_unix here, which sets PAM_AUTHTOK even for a user it
# does not know)
for opt in use_first_pass try_first_pass; do
	printf 'auth optional pam_unix.so\nauth required %s conf=%s %s\n' \
		"$MODULE" "$T/unilogin.conf" $opt >"$T/pam.d/ultest-$opt"
	out=$(answers "$PASSWORD" alice@example.com |
		"$PAMDRIVE" -d "$T/pam.d" -o auth ultest-$opt alice 2>>"$T/pam.err" || true)
	expect_contains "$opt: the earlier module's password is used" "$out" "auth: PAM_SUCCESS"
	expect_eq "$opt: the password is asked once" 1 \
		"$(echo "$out" | grep -c 'Password')"
done
printf 'auth required %s conf=%s use_first_pass\n' "$MODULE" "$T/unilogin.conf" \
	>"$T/pam.d/ultest-first"
out=$(answers alice@example.com | "$PAMDRIVE" -d "$T/pam.d" -o auth ultest-first alice \
	2>>"$T/pam.err" || true)
expect_lacks "use_first_pass with no earlier password: no prompt for one" "$out" "Password"
expect_contains "use_first_pass with no earlier password: refused" "$out" "auth: PAM_AUTH_ERR"

# the KDF worker processes (helper/rules/kdf.c): all of them killed, the
# next login's hash finds its worker gone, a new one is made and the hash
# runs there
live_workers() { ps -o pid=,stat= --ppid $HELPER_PID | awk '$2 !~ /^Z/ {print $1}'; }
killed=$(live_workers)
expect_eq "the helper runs kdf_parallel (2) KDF worker processes" 2 "$(echo "$killed" | wc -l)"
for w in $killed; do kill -9 "$w"; done
out=$(answers alice@example.com "$PASSWORD" | pam alice)
expect_contains "KDF workers killed: the next login succeeds" "$out" "auth: PAM_SUCCESS"
expect_contains "KDF workers killed: the helper says it made another" \
	"$(cat "$T/helper.log")" "stopped: starting another"
new=$(live_workers | grep -vxF "$killed" || true)
[ -n "$new" ] && pass "KDF workers killed: a new worker runs ($new)" ||
	fail "KDF workers killed: no new worker process"
out=$(answers alice@example.com 'not the password' 000000 | pam alice)
expect_contains "KDF workers killed: a wrong password is still refused" "$out" "auth: PAM_AUTH_ERR"

ul_done
