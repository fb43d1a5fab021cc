#!/bin/sh
# T3, the reported repro: an admin `user passwd` that runs during a TOTP
# login must not bring the login's step back.  A TOTP user gets a ticket
# (LOGIN_BEGIN, right password); an admin starts `user passwd` with a slow
# KDF; once its hash has started (STATUS kdf_runs moved), LOGIN_CODE with
# the current step's code is accepted; once the password change is done,
# the new password with the SAME code must be refused (the step was used),
# and the new password with the next step must work (so the refusal was
# the code's, not the password's).
. "$top_srcdir/tests/lib.sh"
command -v oathtool >/dev/null || ul_skip "oathtool is needed for TOTP codes"
command -v python3 >/dev/null || ul_skip "python3 is needed to speak the wire protocol"
[ "$(id -u)" -eq 0 ] || ul_skip "user passwd is an admin request: run as root"

# a slow KDF: the password change's hash is the window the login falls in
# a hash this slow may outlast the suite's 3 s timeout on a busy machine
ul_config "kdf = 3:384" "lockout_attempts = 100" "timeout = 30"
ul_start
ul_user t@example.com
ul_account comms t t@example.com
ul_totp_user t@example.com 6        # confirmed with the previous step

# wire TYPE < name=value lines: one request, the reply as name=value lines
wire() { PYTHONDONTWRITEBYTECODE=1 python3 "$top_srcdir/tests/ulwire.py" "$T/run/unilogin.sock" "$1"; }
kdf_runs() { echo | wire status | sed -n 's/^kdf_runs=//p'; }

start=$(date +%s%N)
answers 'a timing password' | ctl --password-stdin user passwd t@example.com >/dev/null
took=$((($(date +%s%N) - start) / 1000000))
echo "# user passwd with kdf = 3:384 took $took ms"
[ "$took" -ge 500 ] || ul_skip "user passwd takes $took ms here, under 0.5 s: no window to race in"

# the login's first half: the right password, a ticket
ticket=$(printf 'product=comms\nunix_user=t\nemail=t@example.com\npassword=%s\nservice=replay\n' \
	'a timing password' | wire login_begin | sed -n 's/^ticket=//p')
[ -n "$ticket" ] || { echo "no ticket from LOGIN_BEGIN"; exit 99; }

# the admin's change, in the background; its hash starts when kdf_runs moves
runs=$(kdf_runs)
answers 'the new password' | ctl --password-stdin user passwd t@example.com \
	>"$T/passwd.out" 2>&1 &
PASSWD_PID=$!
i=0
while [ "$(kdf_runs)" -le "$runs" ]; do
	i=$((i + 1))
	[ $i -le 1000 ] || { echo "user passwd never started its hash"; exit 99; }
	sleep 0.01
done

# the login's second half, while that hash runs
code=$(totp "$SECRET" 6)
out=$(printf 'ticket=%s\ncode=%s\nservice=replay\n' "$ticket" "$code" | wire login_code)
expect_contains "T3: the current step's code is accepted during the password change" \
	"$out" "result=0"
if kill -0 $PASSWD_PID 2>/dev/null; then
	echo "# the code was accepted while user passwd was still hashing"
else
	echo "# note: user passwd had ended before the code was accepted (no overlap this time)"
fi
rc=0
wait $PASSWD_PID || rc=$?
expect_eq "the password change is acknowledged" 0 "$rc"

out=$(answers t@example.com 'the new password' "$code" | pam t)
expect_contains "T3: the same step is refused after a concurrent user passwd (no replay)" \
	"$out" "auth: PAM_AUTH_ERR"
out=$(answers t@example.com 'the new password' "$(totp "$SECRET" 6 +30)" | pam t)
expect_contains "U4: the new password logs in with the next step" "$out" "auth: PAM_SUCCESS"
ul_done
