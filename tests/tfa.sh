#!/bin/sh
# Two-factor through the real PAM stack (T1-T8, S3), with codes from
# oathtool at the real clock.
. "$top_srcdir/tests/lib.sh"
command -v oathtool >/dev/null || ul_skip "oathtool is needed for TOTP codes"
command -v python3 >/dev/null || ul_skip "python3 is needed to read the store raw"

cat >"$T/deliver" <<EOF
#!/bin/sh
# the test's delivery command: KIND ADDRESS in argv, the message on stdin
# one delivery at a time: several finish together (a held pool let go)
(flock 9; { echo "\$1 \$2"; cat; echo "--"; } >&9) 9>>"$T/outbox"
EOF
chmod 755 "$T/deliver"
ul_config "tfa_required = yes" "lockout_seconds = 3" "remember_days = 30" \
	"delivery_command = $T/deliver"
ul_start
for u in six seven eight old lock sms key far; do
	ul_user $u@example.com
	ul_account comms $u $u@example.com
done

# T6: no active method, tfa_required = yes
out=$(answers six@example.com "$PASSWORD" | pam six)
expect_contains "T6: no method: refused" "$out" "auth: PAM_AUTH_ERR"
expect_contains "T6: told how to enroll, after the right password" "$out" \
	"Two-factor authentication is required: run \`unilogin tfa enroll\` or ask your administrator."
out=$(answers six@example.com 'wrong password' 123456 | pam six)
expect_lacks "S2: the T6 hint needs the right password" "$out" "Two-factor"

# T1: 6, 7 and 8 digits
for pair in six:6 seven:7 eight:8; do
	u=${pair%:*} d=${pair#*:}
	ul_totp_user $u@example.com $d
	out=$(answers $u@example.com "$PASSWORD" "$(totp "$SECRET" $d)" | pam $u)
	expect_contains "T1: a $d-digit user logs in with a current code" "$out" "auth: PAM_SUCCESS"
	expect_contains "T1: $d digits: the code is asked without echo" "$out" \
		"prompt(hidden): Verification code: "
done
# a method's use is noted (once a day) with the step that used it: here the
# confirmation's, which a login the same day leaves as it is
ctl --json tfa list six@example.com >"$T/six.json"
expect_contains "a method's last use is noted with its step" "$(cat "$T/six.json")" '"last_used":'
out=$(answers seven@example.com "$PASSWORD" "$(totp "$SECRET" 8 +30)" | pam seven)
expect_contains "T3: a code of other digits is refused" "$out" "auth: PAM_AUTH_ERR"

ul_totp_user old@example.com 6
out=$(answers old@example.com "$PASSWORD" "$(totp "$SECRET" 6 -60)" | pam old)
expect_contains "T3: a code two steps old is refused" "$out" "auth: PAM_AUTH_ERR"
wrong_code=$out
wrong_pw=$(answers old@example.com 'wrong password' "$(totp "$SECRET" 6)" | pam old)
expect_eq "S1: a wrong code looks like a wrong password" "$wrong_pw" "$wrong_code"

# T3: the same code from two services: the second is refused
sed "s/^/ /" "$T/pam.d/ultest" | sed 's/^ //' >"$T/pam.d/ultest2"
code=$(totp "$SECRET" 6)
out=$(answers old@example.com "$PASSWORD" "$code" | pam old)
expect_contains "T3: the code works once" "$out" "auth: PAM_SUCCESS"
out=$(answers old@example.com "$PASSWORD" "$code" |
	"$PAMDRIVE" -d "$T/pam.d" ultest2 old 2>>"$T/pam.err" || true)
expect_contains "T3: the same code from another service is refused" "$out" "auth: PAM_AUTH_ERR"

# T4: a recovery code works once; regenerating voids the others
out=$(answers old@example.com "$PASSWORD" "$RECOVERY" | pam old)
expect_contains "T4: a recovery code works" "$out" "auth: PAM_SUCCESS"
out=$(answers old@example.com "$PASSWORD" "$RECOVERY" | pam old)
expect_contains "T4: a recovery code works once" "$out" "auth: PAM_AUTH_ERR"
second=$(sed -n '/"recovery_codes"/,/]/s/^ *"\([0-9a-z-]*\)",*$/\1/p' "$T/confirm.json" | sed -n 2p)
ctl --json tfa recovery-codes old@example.com >"$T/regen.json"
out=$(answers old@example.com "$PASSWORD" "$second" | pam old)
expect_contains "T4: regenerating voids the old set" "$out" "auth: PAM_AUTH_ERR"
fresh=$(sed -n '/"recovery_codes"/,/]/s/^ *"\([0-9a-z-]*\)",*$/\1/p' "$T/regen.json" | head -1)
upper=$(echo "$fresh" | tr a-z A-Z)
out=$(answers old@example.com "$PASSWORD" "$upper" | pam old)
expect_contains "T4: a new recovery code works (any case)" "$out" "auth: PAM_SUCCESS"
count=$(sed -n '/"recovery_codes"/,/]/p' "$T/regen.json" | grep -c '^ *"[0-9a-z]\{4\}-[0-9a-z]\{4\}-[0-9a-z]\{4\}"')
expect_eq "T4: ten recovery codes of the form xxxx-xxxx-xxxx" 10 "$count"

# S3: five wrong answers (passwords or codes) lock the email out, even for
# the right answers
ul_totp_user lock@example.com 6
for i in 1 2 3; do
	answers lock@example.com "$PASSWORD" 000000 | pam lock >/dev/null
done
for i in 1 2; do
	answers lock@example.com 'wrong password' 000000 | pam lock >/dev/null
done
out=$(answers lock@example.com "$PASSWORD" "$(totp "$SECRET" 6)" | pam lock)
expect_contains "S3: locked out: PAM_MAXTRIES even with right answers" "$out" "auth: PAM_MAXTRIES"
expect_lacks "S3: no code asked while locked out" "$out" "Verification code"
# wait out lockout_seconds (3 s): the counter lives in the store
i=0; while [ $i -lt 50 ]; do
	ctl --json user show lock@example.com | grep -q locked_out_until || break
	sleep 0.2; i=$((i + 1))
done
out=$(answers lock@example.com "$PASSWORD" "$(totp "$SECRET" 6)" | pam lock)
expect_contains "S3: after lockout_seconds the right answers work" "$out" "auth: PAM_SUCCESS"

# SMS (C1, C3): an empty answer sends a code through the delivery command
s0=$(ul_sent sms)
ctl tfa enroll sms@example.com --sms +15551234567 >/dev/null
ul_wait_sent sms "$s0"                # a delivery may run after the reply
sms_code() { awk '/^sms /{getline; c=$0} END{print c}' "$T/outbox"; }
expect_contains "C3: the delivery command gets sms PHONE" "$(cat "$T/outbox")" "sms +15551234567"
ctl tfa confirm sms@example.com "$(sms_code)" >/dev/null
sent_before=$(ul_sent sms)
# drive the prompts as they come: the code exists only after the empty answer
mkfifo "$T/in"
pam sms <"$T/in" >"$T/sms.out" &
PAMPID=$!
exec 3>"$T/in"
answers sms@example.com "$PASSWORD" "" >&3
ul_wait_sent sms "$sent_before"       # the record written whole
code=$(sms_code)
answers "$code" >&3
exec 3>&-
wait $PAMPID || true
out=$(cat "$T/sms.out")
expect_contains "SMS: the person is told a code was sent" "$out" \
	"info: If an SMS method is set up, a code was sent."
expect_contains "SMS: the sent code logs in" "$out" "auth: PAM_SUCCESS"
expect_lacks "S4: the code is not in the delivery command's argv" \
	"$(grep '^sms ' "$T/outbox")" "$code"
out=$(answers sms@example.com "$PASSWORD" "$code" | pam sms)
expect_contains "SMS: the code is single-use" "$out" "auth: PAM_AUTH_ERR"

# T7: a remembered host is not asked the code again
ul_totp_user far@example.com 7
out=$(answers far@example.com "$PASSWORD" "$(totp "$SECRET" 7)" | pam far -r 203.0.113.7)
expect_contains "T7: a full login from a remote host" "$out" "auth: PAM_SUCCESS"
out=$(answers far@example.com "$PASSWORD" | pam far -r 203.0.113.7)
expect_contains "T7: the same host logs in without a code" "$out" "auth: PAM_SUCCESS"
expect_lacks "T7: no code prompt from a remembered host" "$out" "Verification code"
out=$(answers far@example.com "$PASSWORD" 000000 | pam far -r 198.51.100.1)
expect_contains "T7: another host is asked the code" "$out" "prompt(hidden): Verification code: "
answers 'a changed password' | ctl --password-stdin user passwd far@example.com >/dev/null
out=$(answers far@example.com 'a changed password' 000000 | pam far -r 203.0.113.7)
expect_contains "T7: after a password change the code is asked again" "$out" \
	"prompt(hidden): Verification code: "

# T8: API keys, with the apikey option
ul_totp_user key@example.com 6
key=$(ctl --json apikey create comms key key@example.com --expires-days 1 |
	sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
expect_contains "T8: a key looks like ulk_ID_SECRET" "$key" "ulk_"
sed 's/conf=/apikey conf=/' "$T/pam.d/ultest" >"$T/pam.d/ultest-key"
keylogin() { answers "$2" | "$PAMDRIVE" -d "$T/pam.d" ultest-key "$1" 2>>"$T/pam.err" || true; }
out=$(keylogin key "$key")
expect_contains "T8: the key logs in to its account" "$out" "auth: PAM_SUCCESS"
expect_contains "T8: one question only" "$(echo "$out" | grep -c prompt)" "1"
out=$(keylogin six "$key")
expect_contains "T8: the key works for its account only" "$out" "auth: PAM_AUTH_ERR"
out=$(keylogin key "$PASSWORD")
expect_contains "T8: a password alone is refused for a two-factor user" "$out" "auth: PAM_AUTH_ERR"
listed=$(ctl apikey list key@example.com)
id=$(echo "$key" | cut -d_ -f2)
expect_contains "T8: keys are listed" "$listed" "$id"
expect_lacks "T8: ... without their secret" "$listed" "$key"
ctl apikey revoke "$id" >/dev/null
out=$(keylogin key "$key")
expect_contains "T8: a revoked key is refused" "$out" "auth: PAM_AUTH_ERR"

# the store holds no seed in clear; the key file is the helper's alone
found=$(python3 - "$T/state/data.mdb" "$SECRET" <<'PY'
import base64, sys
data = open(sys.argv[1], "rb").read()
secret = sys.argv[2]
raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
print("found" if raw in data or secret.encode() in data or secret.lower().encode() in data else "absent")
PY
)
expect_eq "T1/S4: the seed is not in the store in clear" absent "$found"
expect_eq "the key file is 0600" 600 "$(stat -c %a "$T/state/keys")"
expect_eq "the key file is the helper's user's" "$(id -u)" "$(stat -c %u "$T/state/keys")"

# T6 with tfa_required = no: a password suffices only without two-factor
ul_stop
sed -i 's/^tfa_required = yes/tfa_required = no/' "$T/unilogin.conf"
ul_start
ul_user plain@example.com
ul_account comms plain plain@example.com
out=$(answers plain@example.com "$PASSWORD" | pam plain)
expect_contains "T6 off: a user without two-factor logs in with the password" "$out" \
	"auth: PAM_SUCCESS"
expect_lacks "T6 off: ... and is asked no code" "$out" "Verification code"
out=$(answers eight@example.com "$PASSWORD" 00000000 | pam eight)
expect_contains "T6 off: a user with two-factor is still asked the code" "$out" \
	"prompt(hidden): Verification code: "
expect_contains "T8: ... and a password alone does not pass" "$out" "auth: PAM_AUTH_ERR"

logs=$(cat "$T/helper.log" "$T/pam.err")
expect_lacks "S4: no API key in the logs" "$logs" "$key"
expect_lacks "S4: no seed in the logs" "$logs" "$SECRET"
ul_done
