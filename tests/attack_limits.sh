#!/bin/sh
# Hardening 2, the limits: rows 2 (one uid took all 512 connections), 3
# (abandoned logins filled the ticket table), 8 (setuid PAM programs
# bypassed the rate limit), 10 (unbounded unprivileged writes) and 14 (the
# lockout overshot under concurrency).  Each attack runs against the real
# helper, as nobody where the row says so, and must now be refused.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/attack_lib.sh"
command -v oathtool >/dev/null || ul_skip "needs oathtool"

hold_pids=
spray_cleanup() { :; }
hold_cleanup() {
	: >"$T/world/stop" 2>/dev/null || true
	for p in $hold_pids; do wait "$p" 2>/dev/null || true; done
	hold_pids=
}
cleanup_all() { hold_cleanup; spray_cleanup; ul_cleanup; }
trap cleanup_all EXIT

# ---- row 2: one uid held every connection ----
# hold UID NAME TARGET BUSY: an attacker as UID in the background; its
# report goes to $T/world/hold.NAME
hold() {
	rm -f "$T/world/hold.$2"
	setpriv --reuid="$1" --regid="$1" --clear-groups $PY "$T/py/attack_wire.py" hold \
	    "$SOCK" "$3" "$4" "$T/world/hold.$2" "$T/world/stop" comms ann \
	    >/dev/null 2>"$T/hold.$2.err" &
	hold_pids="$hold_pids $!"
}
held_now() { # NAME: what the attacker holds now (0 before it has begun)
	sed -n 's/^held //p' "$T/world/hold.$1" 2>/dev/null | tail -1 | grep . || echo 0
}
report() { sed -n "s/^$2 //p" "$T/world/hold.$1" | tail -1; } # NAME WHAT
hold_stop() {
	hold_cleanup
	rm -f "$T/world/stop"
}
# while the attack lasts: root's status, a product login, an NSS lookup
root_still_served() { # WHAT
	out=$(ctl status 2>&1) && rc=0 || rc=$?
	expect_eq "row 2: $1: root's \`uniloginctl status\` answers" 0 "$rc"
	out=$(answers ann@example.com "$PASSWORD" | pam ann)
	expect_contains "row 2: $1: a product login through PAM (root) succeeds" "$out" \
		"auth: PAM_SUCCESS"
	if [ -n "$WRAPPER" ]; then
		expect_contains "row 2: $1: an NSS lookup (root) resolves the account" \
			"$(nss getent passwd ann)" "ann:x:"
	fi
}

ul_config
ul_start
ul_user ann@example.com
ul_account comms ann ann@example.com

# nobody alone: 150 connections wanted, 16 of them sending LOGIN_BEGIN
# after LOGIN_BEGIN (each runs the KDF), the rest idle
hold 65534 nobody 150 16
i=0
while [ "$(held_now nobody)" -lt 64 ] && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.05; done
if [ "$(held_now nobody)" -ge 64 ]; then
	pass "row 2: (the attack is on: nobody holds $(held_now nobody) of the 150 it wants)"
else
	fail "row 2: nobody holds $(held_now nobody) connections: the attack did not start"
	sed 's/^/#   /' "$T/hold.nobody.err"
fi
root_still_served "nobody holding 64"
hold_stop
max=$(report nobody max_held)
echo "# row 2: nobody held at most ${max:-?} connections at once (it tried for 150);" \
	"$(report nobody refused) connections refused at once;" \
	"replies: $(grep '^reply' "$T/world/hold.nobody" | tr '\n' ' ')"
if [ -n "$max" ] && [ "$max" -le 64 ] && [ "$max" -ge 1 ]; then
	pass "row 2: nobody held at most 64 connections ($max)"
else
	fail "row 2: nobody held ${max:-no report of} connections, not 1..64"
	sed 's/^/#   /' "$T/hold.nobody.err"
fi
log=$(cat "$T/helper.log")
expect_contains "row 2: the helper refused nobody's 65th connection" "$log" \
	"connection limit reached (uid 65534 holds 64)"
expect_contains "row 2: nobody's KDF jobs were held to its lane quota (4)" "$log" \
	"login_begin refused: too many requests of this uid at once"

# eight uids at once, 80 connections each: 8 x 64 = 512 wanted, but 64 of
# the 512 are kept for uid 0 and admins: seven uids fill the rest, and
# root still gets in (without the reserve the eight would hold all 512)
hold 65534 nobody 80 4
for u in 2000001 2000002 2000003 2000004 2000005 2000006 2000007; do
	hold $u $u 80 4
done
all=0 i=0
while [ $i -lt 400 ]; do
	all=0
	for n in nobody 2000001 2000002 2000003 2000004 2000005 2000006 2000007; do
		all=$((all + $(held_now $n)))
	done
	[ $all -lt 440 ] || break
	i=$((i + 1)); sleep 0.05
done
echo "# eight unprivileged uids hold $all connections together"
if [ $all -ge 440 ]; then
	pass "row 2: eight uids filled the unprivileged share of the table ($all of 448)"
else
	fail "row 2: eight uids held only $all connections: the attack did not fill the table"
fi
root_still_served "eight uids filling the table"
hold_stop
each=
over=0
for n in nobody 2000001 2000002 2000003 2000004 2000005 2000006 2000007; do
	m=$(report $n max_held)
	each="$each $n:$m"
	[ "${m:-99}" -le 64 ] || over=$((over + 1))
done
echo "# row 2: the most each uid held at once:$each"
expect_eq "row 2: no uid of the eight held more than 64" 0 "$over"
expect_eq "row 2: the helper is still running" 0 "$(kill -0 "$HELPER_PID" 2>/dev/null; echo $?)"

# ---- row 3: abandoned logins and the ticket table ----
ul_stop
ul_config "tfa_required = yes" "lockout_attempts = 1000"
ul_start
ul_user bea@example.com
ul_account comms bea bea@example.com
ul_totp_user bea@example.com 6
BEA=$SECRET
ul_user cy@example.com
ul_account comms cy cy@example.com
ul_totp_user cy@example.com 6
CY=$SECRET
login_fields() { # ACCOUNT EMAIL PASSWORD RHOST
	printf 'product=comms\nunix_user=%s\nemail=%s\npassword=%s\nservice=sshd\nrhost=%s\n' "$@"
}
# before the flood: bea's login from her host reaches the code prompt
login_fields bea bea@example.com "$PASSWORD" 198.51.100.2 | wire login_begin >"$T/bea.begin"
expect_eq "row 3: (before the flood) bea's password gets a ticket" -21 \
	"$(field result <"$T/bea.begin")"
BEA_TICKET=$(field ticket <"$T/bea.begin")
# the flood: 50 logins to bea's account from one host, wrong password,
# abandoned at the code prompt (S1: each gets a ticket all the same)
login_fields bea bea@example.com 'not her password' 203.0.113.66 |
	wire_repeat 50 login_begin >"$T/flood.out"
minted=$(counted -21 <"$T/flood.out")
echo "# row 3: the abandoned flood minted $minted tickets (50 LOGIN_BEGINs)"
expect_eq "row 3: every flooded LOGIN_BEGIN got a ticket (S1)" 50 "$minted"
live=$(status_of tickets)
echo "# row 3: live tickets after the flood: $live (4 of the flood's key at most, and bea's)"
expect_eq "row 3: the flood's key keeps at most 4 live tickets (4 + bea's 1)" 5 "$live"
printf 'ticket=%s\ncode=%s\n' "$BEA_TICKET" "$(totp "$BEA" 6)" | wire login_code >"$T/bea.code"
expect_eq "row 3: bea's ticket from before the flood still works" 0 "$(field result <"$T/bea.code")"
out=$(answers cy@example.com "$PASSWORD" "$(totp "$CY" 6)" | pam cy -r 198.51.100.3)
expect_contains "row 3: another account's login with TOTP succeeds after the flood" "$out" \
	"auth: PAM_SUCCESS"
out=$(answers bea@example.com "$PASSWORD" "$(totp "$BEA" 6 +30)" | pam bea -r 198.51.100.4)
expect_contains "row 3: the flooded account's own login from another host succeeds" "$out" \
	"auth: PAM_SUCCESS"

# ---- row 10: unprivileged writes ----
ul_stop
ul_config "rate_burst = 10" "rate_per_minute = 10"
ul_start
ul_user dan@example.com
ul_account comms dan dan@example.com
before=$(status_of commits)
printf 'product=comms\nunix_user=dan\nemail=dan@example.com\nservice=sshd\ntty=pts/9\n' |
	wire_nobody session_open >"$T/open.out"
expect_eq "row 10: SESSION_OPEN from nobody is refused" -13 "$(field result <"$T/open.out")"
expect_eq "row 10: ... with the message" "permission denied: this needs root" \
	"$(field message <"$T/open.out")"
printf 'id=1\n' | wire_nobody session_close >"$T/close.out"
expect_eq "row 10: SESSION_CLOSE from nobody is refused" -13 "$(field result <"$T/close.out")"
expect_eq "row 10: nobody's session requests committed nothing" "$before" "$(status_of commits)"
expect_eq "row 10: no session was recorded" "" "$(ctl sessions | sed 1d)"
# thirty wrong API keys from nobody: each one let through commits an
# audit record; the rate limit bounds how many get through
printf 'product=comms\nunix_user=dan\npassword=ulk_abcdef_notthesecret\nservice=ultest\n' >"$T/key.fields"
before=$(status_of commits)
as_nobody $PY "$T/py/attack_wire.py" repeat "$SOCK" 30 apikey_login <"$T/key.fields" >"$T/keys.out"
after=$(status_of commits)
through=$(counted -20 <"$T/keys.out")
limited=$(counted -14 <"$T/keys.out")
echo "# row 10: 30 wrong API keys from nobody: $through checked (one commit each), $limited rate-limited;" \
	"commits $before -> $after"
expect_eq "row 10: every API key reply is 'wrong' or 'too many requests'" 30 $((through + limited))
expect_eq "row 10: one commit per API key let through, none for a limited one" "$through" \
	$((after - before))
# rate_burst = 10: a few more may come from the refill (10 a minute)
if [ "$through" -ge 10 ] && [ "$through" -le 12 ]; then
	pass "row 10: nobody's failed API keys are bounded by its rate limit ($through of 30)"
else
	fail "row 10: $through of 30 failed API keys from nobody got through (rate_burst = 10)"
fi
expect_contains "row 10: the limit is logged" "$(cat "$T/helper.log")" \
	"apikey_login refused: more than 10 password checks a minute"

# ---- row 14: the lockout under concurrency ----
ul_stop
# four hashes at once, each slower, so that the 20 tries overlap
ul_config "lockout_attempts = 3" "kdf_parallel = 4" "kdf = 1:32"
ul_start
ul_user eve@example.com
ul_account comms eve eve@example.com
k0=$(status_of kdf_runs)
printf 'product=comms\nunix_user=eve\nemail=eve@example.com\npassword=not the password\n' |
	wire_burst 20 login_begin >"$T/burst.out"
kdf=$(( $(status_of kdf_runs) - k0 ))
echo "# row 14: 20 concurrent wrong passwords: $(tr '\n' ' ' <"$T/burst.out"); $kdf KDF runs"
expect_eq "row 14: every one of the 20 got an answer" 20 \
	$(( $(counted -21 <"$T/burst.out") + $(counted -22 <"$T/burst.out") ))
ctl --json user show eve@example.com >"$T/eve.json"
expect_contains "row 14: the user's count starts again at the lockout" "$(cat "$T/eve.json")" '"failures":0'
expect_contains "row 14: the user is locked out" "$(cat "$T/eve.json")" '"locked_out_until":"'
ctl audit >"$T/audit.tsv"
counted_failures=$(awk -F'\t' '$4 == "eve@example.com" && ($2 == "login" || $2 == "login_password") &&
	$3 == "authentication failed"' "$T/audit.tsv" | wc -l)
others=$(awk -F'\t' '$4 == "eve@example.com" && ($2 == "login" || $2 == "login_password") &&
	$3 != "authentication failed" && $3 != "too many failed attempts"' "$T/audit.tsv" | wc -l)
expect_eq "row 14: exactly lockout_attempts (3) failures were counted" 3 "$counted_failures"
expect_eq "row 14: every other audited try is 'too many failed attempts'" 0 "$others"
if [ "$kdf" -ge 3 ] && [ "$kdf" -le $((3 + 4 - 1)) ]; then
	pass "row 14: KDF runs stayed within lockout_attempts + kdf_parallel - 1 ($kdf)"
else
	fail "row 14: $kdf KDF runs for 20 tries (lockout 3, kdf_parallel 4)"
fi
out=$(answers eve@example.com "$PASSWORD" | pam eve)
expect_contains "row 14: then even the right password is refused" "$out" "auth: PAM_MAXTRIES"

# ---- row 8: su by a local user, sprayed ----
# (last: without what it needs, the rows above still count)
row8_needs() {
	[ "${UL_SANITIZERS:-no}" != yes ] || { echo "sanitizer build: su cannot load it"; return; }
	$PY -c 'import pexpect' 2>/dev/null || { echo "python3-pexpect is missing"; return; }
	command -v su >/dev/null || { echo "su is missing"; return; }
	for n in ultestsu ultestspray; do
		! id "$n" >/dev/null 2>&1 || { echo "user $n exists already"; return; }
	done
}
why=$(row8_needs)
if [ -n "$why" ]; then
	echo "# row 8 not tested: $why"
	ul_done
fi
TARGET=ultestsu SPRAYER=ultestspray TARGET_UID=900000883  # no other test uses it (deb.sh has 900000779)
spray_cleanup() {
	for n in $TARGET $SPRAYER; do
		id "$n" >/dev/null 2>&1 && userdel "$n" >/dev/null 2>&1 || true
	done
}
ul_stop
ul_config "rate_burst = 10" "rate_per_minute = 10" "lockout_attempts = 1000"
ul_start
ul_user sue@example.com
ul_account comms $TARGET sue@example.com --uid $TARGET_UID
# su resolves its target from files: a local user with the account's name
useradd -M -N -u $TARGET_UID -s /bin/sh $TARGET 2>/dev/null
useradd -M -N -s /bin/sh $SPRAYER 2>/dev/null
{
	echo "auth     [success=done user_unknown=ignore authinfo_unavail=die default=die] $MODULE conf=$T/unilogin.conf"
	echo "auth     required pam_unix.so"
	echo "account  [success=ok user_unknown=ignore default=die] $MODULE conf=$T/unilogin.conf"
	echo "account  required pam_unix.so"
	echo "session  required pam_unix.so"
} >"$T/su.pam"
# no FAIL_DELAY: util-linux su sleeps a second after each failure otherwise
grep -v '^FAIL_DELAY' /etc/login.defs >"$T/login.defs"
echo 'FAIL_DELAY 0' >>"$T/login.defs"
# spray N: N wrong passwords through the real su run by the local user,
# each with the private /etc/pam.d/su and /etc/login.defs
spray() {
	unshare -m --propagation private sh -c '
		T=$1 n=$2 target=$3 sprayer=$4; shift 4
		mount --bind "$T/su.pam" /etc/pam.d/su || exit 1
		mount --bind "$T/login.defs" /etc/login.defs || exit 1
		i=0
		while [ $i -lt $n ]; do
			i=$((i + 1))
			/usr/bin/python3 "$@" sue@example.com "wrong password $i" 000000 -- \
			    setpriv --reuid="$sprayer" --regid=nogroup --clear-groups \
			    su "$target" -c true
		done' sh "$T" "$1" $TARGET $SPRAYER "$top_srcdir/tests/e2e/drive.py"
}
refusals() { grep -c 'login_begin refused: more than 10 password checks a minute' "$T/helper.log" || true; }
spray 10 >"$T/spray1.out"
expect_eq "row 8: su's first 10 wrong passwords reach the helper" 0 "$(refusals)"
expect_eq "row 8: (su ran: each of the 10 failed)" 10 "$(grep -c '^exit: 1$' "$T/spray1.out")"
spray 20 >"$T/spray2.out"
refused=$(refusals)
echo "# row 8: 30 wrong passwords through su as $SPRAYER: $refused refused by the helper's" \
	"rate limit after the first 10"
if [ "$refused" -ge 10 ]; then
	pass "row 8: su's spray is rate-limited per person ($refused of the last 20 refused)"
else
	fail "row 8: only $refused of su's last 20 wrong passwords were refused"
	grep -i 'su\|refused' "$T/helper.log" | tail -5 | sed 's/^/#   /'
fi
expect_eq "row 8: su never let the sprayer in" 0 "$(cat "$T/spray1.out" "$T/spray2.out" | grep -c '^exit: 0$')"
out=$(answers sue@example.com "$PASSWORD" | pam $TARGET)
expect_contains "row 8: root's own login of the account (another person) is not limited" "$out" \
	"auth: PAM_SUCCESS"

# ---- K1: unilogin-keys' own user (keys_user) has no per-uid cap ----
# sshd runs unilogin-keys once per offered key, as NSS lookups come once
# per getpwnam: that user may hold more than 64 connections (the total's
# cap, with the share kept for root, still holds)
ul_stop
ul_config "keys_user = nobody"
ul_start
hold 65534 nobody 100 0
i=0
while [ "$(held_now nobody)" -lt 100 ] && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.05; done
expect_eq "K1: keys_user holds more than the per-uid cap of 64 (100 asked)" 100 "$(held_now nobody)"
root_still_served "keys_user holding 100"
hold_stop
ul_done
