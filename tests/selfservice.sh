#!/bin/sh
# unilogin, the self-service tool: email, password and the current code
# first (T5); enrollment without a method needs no code (T2).
. "$top_srcdir/tests/lib.sh"
command -v oathtool >/dev/null || ul_skip "oathtool is needed for TOTP codes"

ul_config "lockout_attempts = 50"
ul_start
ul_user dana@example.com
ul_account comms dana dana@example.com

# self EMAIL PASSWORD CODE COMMAND...: one self-service call with its answers
me() {
	e=$1 p=$2 c=$3; shift 3
	answers "$e" "$p" "$c" | self --password-stdin --json "$@" 2>"$T/self.err"
}
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

out=$(me dana@example.com 'wrong password' '' tfa enroll) && rc=0 || rc=$?
expect_eq "a wrong password: refused (exit 1)" 1 "$rc"
expect_contains "a wrong password: the S1 message" "$(cat "$T/self.err")" "Authentication failed."

out=$(me dana@example.com "$PASSWORD" '' tfa enroll --digits 8) && rc=0 || rc=$?
expect_eq "T2: no method yet: email and password enroll" 0 "$rc"
secret=$(echo "$out" | field secret)
uri=$(echo "$out" | field uri)
expect_contains "T2: a Key URI with issuer, label, digits and period" "$uri" \
	"otpauth://totp/unilogin%3Adana@example.com?secret=$secret&issuer=unilogin&algorithm=SHA1&digits=8&period=30"
text=$(answers dana@example.com "$PASSWORD" '' | self --password-stdin tfa list)
expect_contains "tfa list shows the pending method" "$text" "pending"

out=$(answers dana@example.com "$PASSWORD" '' "$(totp "$secret" 8 -30)" |
	self --password-stdin --json tfa confirm) && rc=0 || rc=$?
expect_eq "T2: confirm with one code from the app" 0 "$rc"
expect_contains "T4: the first method brings recovery codes" "$out" "recovery_codes"
RECOVERY=$(echo "$out" | sed -n '/"recovery_codes"/,/]/s/^ *"\([0-9a-z-]*\)",*$/\1/p' | head -1)

# T5: from now on every change needs a current code
out=$(me dana@example.com "$PASSWORD" '' tfa enroll) && rc=0 || rc=$?
expect_eq "T5: a further method without a code is refused" 1 "$rc"
out=$(me dana@example.com "$PASSWORD" 12345678 tfa enroll) && rc=0 || rc=$?
expect_eq "T5: ... and with a wrong code" 1 "$rc"
# (one code for both: made twice, it would be the next step's when the
# step turned in between)
code=$(totp "$secret" 8)
out=$(me dana@example.com "$PASSWORD" "$code" tfa enroll) && rc=0 || rc=$?
expect_eq "T5: with a current code a second method is enrolled" 0 "$rc"
second=$(echo "$out" | field id)
out=$(me dana@example.com "$PASSWORD" "$code" tfa remove "$second") && rc=0 || rc=$?
expect_eq "T3: the same code cannot be used twice" 1 "$rc"
out=$(me dana@example.com "$PASSWORD" "$(totp "$secret" 8 +30)" tfa remove "$second") && rc=0 || rc=$?
expect_eq "T5: remove with the next code" 0 "$rc"
text=$(ctl tfa list dana@example.com)
expect_lacks "the removed method is gone" "$(echo "$text" | cut -f1 | grep -x "$second" || true)" "$second"

rec=$(answers dana@example.com "$PASSWORD" "" | self --password-stdin --json tfa recovery-codes 2>&1) && rc=0 || rc=$?
expect_eq "T4: regenerating needs a code" 1 "$rc"

# T8: a key for one's own account needs a current code; recovery codes count
out=$(me dana@example.com "$PASSWORD" "$RECOVERY" apikey create comms dana) && rc=0 || rc=$?
expect_eq "T8: a key with a recovery code as the current token" 0 "$rc"
expect_contains "T8: the key is shown once" "$out" '"key":"ulk_'
out=$(me dana@example.com "$PASSWORD" "$RECOVERY" apikey create comms dana) && rc=0 || rc=$?
expect_eq "T4: the recovery code was single-use" 1 "$rc"
ul_done
