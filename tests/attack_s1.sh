#!/bin/sh
# Hardening 2, the oracles (S1): rows 4 (LOGIN_SMS told the password by
# when it answered), 5 (SELF_RESET_SEND: no limit, a timing oracle for
# emails, and a second request voided the first code), 6 (SELF_LINK was an
# oracle for legacy passwords) and 15 (LOGIN_CODE did more work after a
# right password).
#
# The structure is asserted, not the time: the delivery command can be
# held back (attack_lib.sh), so a reply that comes while its delivery still
# waits proves the delivery runs after it; and with the helper's two slow
# workers held by two deliveries, the work after a reply waits too, so that
# STATUS's `commits` shows what a request committed before its answer.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/attack_lib.sh"
command -v oathtool >/dev/null || ul_skip "needs oathtool"

ul_gated_delivery
ul_config "delivery_command = $T/deliver" "tfa_required = yes" "lockout_attempts = 1000"
ul_start
PHONE=+15551234567
ul_user bob@example.com
ul_account comms bob bob@example.com
ctl tfa enroll bob@example.com --sms $PHONE >/dev/null
ul_wait_sent sms 0
ctl tfa confirm bob@example.com "$(sent_code "sms $PHONE")" >/dev/null
ul_user kim@example.com
ul_user lou@example.com
ul_account comms lou lou@example.com
ul_user filler1@example.com
ul_user filler2@example.com

begin() { # ACCOUNT EMAIL PASSWORD: LOGIN_BEGIN as root, as sshd would
	printf 'product=comms\nunix_user=%s\nemail=%s\npassword=%s\nservice=sshd\nrhost=198.51.100.7\n' \
	    "$@" | wire login_begin
}
# hold_slow_pool: both slow workers wait in a held delivery (an admin's
# `user reset`), so that work after a reply is queued behind them
fillers=
hold_slow_pool() {
	gate_close
	ctl user reset filler1@example.com >/dev/null 2>&1 &
	fillers=$!
	ctl user reset filler2@example.com >/dev/null 2>&1 &
	fillers="$fillers $!"
	gate_wait_started reset 2
	[ "$(gate_started reset)" -eq 2 ] || { echo "the slow pool was not held"; exit 99; }
}
release_slow_pool() {
	gate_open
	for p in $fillers; do wait "$p" || true; done
	fillers=
}
timeouts() { grep -c '^timeout ' "$T/outbox" || true; }

# ---- row 4: LOGIN_SMS ----
begin bob bob@example.com "$PASSWORD" >"$T/right.begin"
begin bob bob@example.com 'not the password' >"$T/wrong.begin"
expect_eq "row 4: (a right password gets a ticket)" -21 "$(field result <"$T/right.begin")"
expect_eq "row 4: (so does a wrong one, S1)" -21 "$(field result <"$T/wrong.begin")"
RIGHT=$(field ticket <"$T/right.begin")
WRONG=$(field ticket <"$T/wrong.begin")
sms_before=$(ul_sent sms)

hold_slow_pool
c0=$(status_of commits)
printf 'ticket=%s\n' "$RIGHT" | wire login_sms >"$T/right.sms"
c1=$(status_of commits)
printf 'ticket=%s\n' "$WRONG" | wire login_sms >"$T/wrong.sms"
c2=$(status_of commits)
echo "# row 4: commits at the reply of LOGIN_SMS: right password +$((c1 - c0)), wrong +$((c2 - c1))"
expect_eq "row 4: LOGIN_SMS commits the same before its reply, right or wrong password" \
	"$((c1 - c0))" "$((c2 - c1))"
expect_eq "row 4: ... namely nothing" 0 "$((c1 - c0))"
expect_eq "row 4: the same reply for a right and a wrong password" \
	"$(cat "$T/right.sms")" "$(cat "$T/wrong.sms")"
expect_eq "row 4: (the reply)" "If an SMS method is set up, a code was sent." \
	"$(field message <"$T/right.sms")"
release_slow_pool
ul_wait_sent sms "$sms_before"
expect_eq "row 4: after the reply, the right password's code is sent" \
	$((sms_before + 1)) "$(ul_sent sms)"
printf 'ticket=%s\ncode=%s\n' "$RIGHT" "$(sent_code "sms $PHONE")" | wire login_code >"$T/right.code"
expect_eq "row 4: ... and the code sent after the reply logs in" 0 "$(field result <"$T/right.code")"

# the reply comes while the delivery is still held
begin bob bob@example.com "$PASSWORD" >"$T/right2.begin"
RIGHT=$(field ticket <"$T/right2.begin")
gate_close
sms_before=$(ul_sent sms)
printf 'ticket=%s\n' "$RIGHT" | wire login_sms >"$T/right2.sms"
expect_eq "row 4: LOGIN_SMS answers while its delivery is held" 0 "$(field result <"$T/right2.sms")"
gate_wait_started sms 1
expect_eq "row 4: ... the delivery had begun and was still waiting" "1 $sms_before" \
	"$(gate_started sms) $(ul_sent sms)"
gate_open
ul_wait_sent sms "$sms_before"
expect_eq "row 4: once let go, the code arrives" $((sms_before + 1)) "$(ul_sent sms)"
expect_eq "row 4: no delivery timed out waiting for the reply" 0 "$(timeouts)"
# a wrong password: the same reply, and no delivery at all
begin bob bob@example.com 'not the password' >"$T/wrong2.begin"
gate_close
printf 'ticket=%s\n' "$(field ticket <"$T/wrong2.begin")" | wire login_sms >"$T/wrong2.sms"
expect_eq "row 4: a wrong password: the same reply" "$(cat "$T/right2.sms")" "$(cat "$T/wrong2.sms")"
gate_open
# the work after the wrong password's reply ran before the next login's
# (one queue, first in first out): once that one has delivered, the
# wrong password's would have too
begin bob bob@example.com "$PASSWORD" >"$T/right3.begin"
sms_before=$(ul_sent sms)
printf 'ticket=%s\n' "$(field ticket <"$T/right3.begin")" | wire login_sms >/dev/null
ul_wait_sent sms "$sms_before"
expect_eq "row 4: a wrong password's LOGIN_SMS sent nothing (enrollment + 3 right ones)" 4 "$(ul_sent sms)"
gate_reset

# ---- row 15: LOGIN_CODE after a right and a wrong password ----
ul_user tom@example.com
ul_account comms tom tom@example.com
ul_totp_user tom@example.com 6
# a six-digit code that is none of the window's
window=" $(totp "$SECRET" 6 -30) $(totp "$SECRET" 6) $(totp "$SECRET" 6 +30) "
BAD=100000
while case $window in *" $BAD "*) true ;; *) false ;; esac; do BAD=$((BAD + 1)); done
code_cost() { # PASSWORD: "result commits kdf_runs" of LOGIN_CODE with a wrong code
	t=$(begin tom tom@example.com "$1" | field ticket)
	c=$(status_of commits) k=$(status_of kdf_runs)
	r=$(printf 'ticket=%s\ncode=%s\n' "$t" "$BAD" | wire login_code)
	echo "$(echo "$r" | field result) $(( $(status_of commits) - c )) $(( $(status_of kdf_runs) - k ))"
}
right=$(code_cost "$PASSWORD")
wrong=$(code_cost 'not the password')
echo "# row 15: LOGIN_CODE with a wrong code (result, commits, KDF runs): after the right password $right, after a wrong one $wrong"
expect_eq "row 15: a right password's ticket + a wrong code: refused, 1 commit, no KDF" "-20 1 0" "$right"
expect_eq "row 15: a wrong password's ticket + a wrong code: the same" "$right" "$wrong"

# ---- row 5: SELF_RESET_SEND ----
reset_send() { printf 'email=%s\n' "$1" | wire_nobody self_reset_send; }
r0=$(ul_sent reset)
hold_slow_pool
c0=$(status_of commits)
reset_send kim@example.com >"$T/known.reply"
c1=$(status_of commits)
reset_send ghost@example.com >"$T/unknown.reply"
c2=$(status_of commits)
echo "# row 5: commits at the reply of SELF_RESET_SEND: a known email +$((c1 - c0)), an unknown one +$((c2 - c1))"
expect_eq "row 5: nothing is committed before the reply, known email or not" "0 0" \
	"$((c1 - c0)) $((c2 - c1))"
expect_eq "row 5: the same reply for a known and an unknown email" \
	"$(sed 's/kim@example.com/EMAIL/' "$T/known.reply")" \
	"$(sed 's/ghost@example.com/EMAIL/' "$T/unknown.reply")"
expect_eq "row 5: (the reply)" "If kim@example.com is a known address, a reset code was sent." \
	"$(field message <"$T/known.reply")"
release_slow_pool
ul_wait_sent reset $((r0 + 2))
expect_eq "row 5: after the reply, the known email gets its code (the fillers' 2 + 1)" \
	$((r0 + 3)) "$(ul_sent reset)"
expect_eq "row 5: ... and the unknown email nothing" "1 0" \
	"$(grep -c '^reset kim@example.com$' "$T/outbox") $(grep -c '^reset ghost@example.com$' "$T/outbox")"
gate_reset
# the reply comes while the delivery of this very request is held
gate_close
resets=$(ul_sent reset)
reset_send kim@example.com >"$T/known2.reply"
expect_eq "row 5: SELF_RESET_SEND answers while its delivery is held" 0 "$(field result <"$T/known2.reply")"
gate_wait_started reset 1
expect_eq "row 5: ... the delivery had begun and was still waiting" "1 $resets" \
	"$(gate_started reset) $(ul_sent reset)"
gate_open
ul_wait_sent reset "$resets"
expect_eq "row 5: once let go, the code arrives" $((resets + 1)) "$(ul_sent reset)"
expect_eq "row 5: no delivery timed out waiting for the reply" 0 "$(timeouts)"
gate_reset

# a second request keeps the first code
first_code() { awk -v who="$1" '$0 == who {getline; print; exit}' "$T/outbox"; }
resets=$(ul_sent reset)
reset_send lou@example.com >/dev/null
ul_wait_sent reset "$resets"
reset_send lou@example.com >/dev/null
ul_wait_sent reset $((resets + 1))
CODE1=$(first_code "reset lou@example.com")
CODE2=$(sent_code "reset lou@example.com")
[ -n "$CODE1" ] && [ "$CODE1" != "$CODE2" ] || { echo "no two reset codes: $CODE1 $CODE2"; exit 99; }
self_reset() { # CODE PASSWORD: `unilogin reset` as nobody
	answers "$1" "$2" | as_nobody "$UL_BIN/unilogin" --config "$T/unilogin.conf" \
	    --password-stdin reset lou@example.com 2>&1
}
out=$(self_reset "$CODE1" 'a new password 1') && rc=0 || rc=$?
expect_eq "row 5: after a second request, the first code still works" 0 "$rc"
# (T6 is told only after the right password, S2)
out=$(answers lou@example.com 'a new password 1' | pam lou)
expect_contains "row 5: ... and set the password" "$out" "Two-factor authentication is required"
out=$(self_reset "$CODE2" 'a new password 2') && rc=0 || rc=$?
expect_eq "row 5: once one code is used, the other is refused" 1 "$rc"
expect_contains "row 5: ... saying so" "$out" "the reset code is wrong or has expired"

# three an hour per email, known or not
for i in 3 4 5; do reset_send lou@example.com >/dev/null; done
for i in 1 2 3 4; do reset_send ghost2@example.com >/dev/null; done
no_more() { grep -c "reset code for $1: 3 sent in the last hour: no more" "$T/helper.log" || true; }
i=0
while { [ "$(no_more lou@example.com)" -lt 2 ] || [ "$(no_more ghost2@example.com)" -lt 1 ]; } &&
    [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
expect_eq "row 5: the 4th and 5th request for one email in an hour send nothing" 2 \
	"$(no_more lou@example.com)"
expect_eq "row 5: ... so the email got 3 codes" 3 "$(grep -c '^reset lou@example.com$' "$T/outbox")"
expect_eq "row 5: an unknown email is counted alike (its 4th refused)" 1 "$(no_more ghost2@example.com)"

# ---- row 6: SELF_LINK and legacy passwords ----
ul_stop
ul_config "delivery_command = $T/deliver" "lockout_attempts = 3"
ul_start
ul_user lin@example.com
answers 'the legacy password' | ctl --password-stdin account add comms linacct \
	--email lin@example.com --legacy-password >/dev/null
answers 'the other password' | ctl --password-stdin account add comms othacct \
	--email oth@example.com --legacy-password >/dev/null
self_link() { # ACCOUNT LEGACY_PASSWORD: `unilogin link` as nobody
	answers lin@example.com "$PASSWORD" '' "$2" | as_nobody "$UL_BIN/unilogin" \
	    --config "$T/unilogin.conf" --password-stdin link comms "$1" 2>&1
}
wrongs=0
for i in 1 2 3; do
	out=$(self_link linacct "wrong legacy $i") && rc=0 || rc=$?
	[ "$rc" -ne 1 ] || wrongs=$((wrongs + 1))
done
expect_eq "row 6: three wrong legacy passwords are refused" 3 "$wrongs"
expect_contains "row 6: ... saying so" "$out" "the account's own password is wrong"
out=$(self_link linacct 'the legacy password') && rc=0 || rc=$?
expect_eq "row 6: after lockout_attempts (3) wrong ones, the right one is refused" 1 "$rc"
expect_contains "row 6: ... with 'too many failed attempts'" "$out" "Too many failed attempts"
expect_contains "row 6: ... and nothing is linked" "$(ctl account show comms linacct)" "legacy: yes"
out=$(answers 'the legacy password' | pam linacct)
expect_contains "row 6: the count is the account's own (legacy:comms/linacct): its PAM login is locked out too" \
	"$out" "auth: PAM_MAXTRIES"
expect_contains "row 6: the user's own count is untouched" \
	"$(ctl --json user show lin@example.com)" '"failures":0'
out=$(self_link othacct 'the other password') && rc=0 || rc=$?
expect_eq "row 6: L2: an account of another email is refused" 1 "$rc"
expect_contains "row 6: L2: ... saying why" "$out" "L2: the account's email is not yours"
expect_lacks "row 6: L2: the message names no email" "$out" "@"
out=$(self_link othacct 'wrong legacy') || true
expect_lacks "row 6: a wrong legacy password's message names no email" "$out" "@"

# ---- row 5: SELF_RESET_SEND is rate-limited per uid ----
ul_stop
ul_config "delivery_command = $T/deliver" "rate_burst = 10" "rate_per_minute = 10"
ul_start
printf 'email=spray@example.com\n' |
	as_nobody $PY "$T/py/attack_wire.py" repeat "$SOCK" 20 self_reset_send >"$T/spray.out"
answered=$(counted 0 <"$T/spray.out")
limited=$(counted -14 <"$T/spray.out")
echo "# row 5: 20 SELF_RESET_SEND from nobody: $answered answered, $limited refused by the rate limit"
expect_eq "row 5: every request from nobody is answered or rate-limited" 20 $((answered + limited))
# rate_burst = 10, and a few more may come from the refill (10 a minute)
if [ "$answered" -ge 10 ] && [ "$answered" -le 12 ]; then
	pass "row 5: nobody's reset requests are bounded by rate_burst ($answered of 20)"
else
	fail "row 5: $answered of 20 reset requests from nobody were answered (rate_burst = 10)"
fi
expect_contains "row 5: the limit is logged" "$(cat "$T/helper.log")" \
	"self_reset_send refused: more than 10 password checks a minute"
ul_done
