#!/bin/sh
# Codes and keys that expire (C1: SMS codes live 5 minutes; T8: keys with
# --expires-days).  The helper runs under libfaketime, whose clock the test
# moves forward; nothing in the helper knows it is a test.
. "$top_srcdir/tests/lib.sh"
ul_no_sanitizers "libfaketime together with ASan (the helper stalls)"
FAKETIME_LIB=
for f in /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1; do
	[ -e "$f" ] && FAKETIME_LIB=$f
done
[ -n "$FAKETIME_LIB" ] || ul_skip "libfaketime (package faketime) is needed"

printf '#!/bin/sh\n(flock 9; { echo "$1 $2"; cat; echo "--"; } >&9) 9>>"%s/outbox"\n' "$T" >"$T/deliver"
chmod 755 "$T/deliver"
echo "+0" >"$T/clock"
UL_HELPER_WRAP="env LD_PRELOAD=$ASAN_PRELOAD${ASAN_PRELOAD:+:}$FAKETIME_LIB FAKETIME_TIMESTAMP_FILE=$T/clock FAKETIME_NO_CACHE=1"
ul_config "delivery_command = $T/deliver"
ul_start
ul_user sms@example.com
ul_account comms sms sms@example.com
ctl tfa enroll sms@example.com --sms +15557654321 >/dev/null
sms_code() { awk '/^sms /{getline; c=$0} END{print c}' "$T/outbox"; }
ctl tfa confirm sms@example.com "$(sms_code)" >/dev/null

# An empty answer sends a code; the person leaves; a new login uses it.
before=$(ul_sent sms)
answers sms@example.com "$PASSWORD" "" | pam sms >/dev/null
ul_wait_sent sms "$before"
code=$(sms_code)
out=$(answers sms@example.com "$PASSWORD" "$code" | pam sms)
expect_contains "C1: a sent code works within 5 minutes" "$out" "auth: PAM_SUCCESS"

before=$(ul_sent sms)
answers sms@example.com "$PASSWORD" "" | pam sms >/dev/null
ul_wait_sent sms "$before"
code=$(sms_code)
echo "+6m" >"$T/clock"
out=$(answers sms@example.com "$PASSWORD" "$code" | pam sms)
expect_contains "C1: a code 6 minutes old is refused" "$out" "auth: PAM_AUTH_ERR"

# T8: a key with --expires-days 1
key=$(ctl --json apikey create comms sms sms@example.com --expires-days 1 |
	sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
sed 's/conf=/apikey conf=/' "$T/pam.d/ultest" >"$T/pam.d/ultest-key"
keylogin() { answers "$1" | "$PAMDRIVE" -d "$T/pam.d" ultest-key sms 2>>"$T/pam.err" || true; }
out=$(keylogin "$key")
expect_contains "T8: the key works before it expires" "$out" "auth: PAM_SUCCESS"
echo "+2d" >"$T/clock"
out=$(keylogin "$key")
expect_contains "T8: an expired key is refused" "$out" "auth: PAM_AUTH_ERR"
ul_done
