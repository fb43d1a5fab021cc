#!/bin/sh
# S7 (and T3): crash consistency.  100 rounds; in each, the helper is
# started, a background writer makes a stream of changes and journals each
# one only after it was acknowledged (exit status 0, PAM_SUCCESS), and the
# helper is killed with SIGKILL at a random moment (a random sleep of
# 0-400 ms picks the crash point; nothing waits on it).  The helper that is
# restarted after a kill is checked, then serves the next round's writer.
# After each restart the store must open and every journaled change must be
# there:
#   user EMAIL                  `user add` -> the user is listed
#   link ACCOUNT EMAIL          `account link` of a legacy account -> linked
#   totp USER EMAIL STEP CODE   a login with a fresh TOTP step -> the same
#                               code is refused afterwards (T3)
# Beside the writer, tests/crashload.py keeps LOADERS clients logging in
# with TOTP codes at once (one user each, the code of the current step), so
# that the kill lands while the helper commits many writes in one batch
# (group commit); its accepted codes join the journal as `totp` lines.
# Before the kills, five waves of that load on a helper left running show
# how many writes a batch holds under it (STATUS counters around each wave
# of codes); the test prints the average and checks it is at least 8.
. "$top_srcdir/tests/lib.sh"
command -v oathtool >/dev/null || ul_skip "oathtool is needed for TOTP codes"

ROUNDS=${UL_CRASH_ROUNDS:-100}
LINKS=600       # legacy accounts made for linking (about 4 per round are used)
TOTP_USERS=16   # each can take the current and the next step once (T3)
LOADERS=${UL_CRASH_LOADERS:-64}  # concurrent clients of crashload.py

# lockout: the replay checks are failed logins; they must never lock a
# TOTP user out (that would refuse the replay for the wrong reason)
ul_config "lockout_attempts = 1000"
ul_start
ctl product add comms >/dev/null

# -- fixtures: legacy accounts with confirmed users of the same email, in
# one import (fast); the legacy hash is copied from a real legacy account
echo 'legacy-password-1' |
	ctl --password-stdin account add comms tmpl --email tmpl@example.com --legacy-password >/dev/null
pwhash=$(ctl export | sed -n 's/.*"name":"tmpl".*"pwhash":"\([^"]*\)".*/\1/p')
[ -n "$pwhash" ] || { echo "no legacy hash in the export"; exit 99; }
now=$(date +%s)
i=1
while [ $i -le $LINKS ]; do
	id=$(printf '%032x' $i)
	printf '{"type":"user","email":"leg%d@example.com","confirmed":true,"created":%d,"id":"%s"}\n' \
		$i "$now" "$id"
	printf '{"type":"account","product":"comms","name":"leg%d","unix_user":"leg%d","uid":%d,"email":"leg%d@example.com","pwhash":"%s","friendly_name":"legacy %d","created":%d}\n' \
		$i $i $((900100000 + i)) $i "$pwhash" $i "$now"
	i=$((i + 1))
done >"$T/legacy.jsonl"
ctl import <"$T/legacy.jsonl" >/dev/null || { echo "import of the fixtures failed"; exit 99; }
legacy_before=$(ctl account list comms | awk -F'\t' '$2 ~ /^leg[0-9]+$/ && $6 == "yes"' | wc -l)
expect_eq "fixtures: $LINKS legacy accounts to link" "$LINKS" "$legacy_before"

mkdir -p "$T/totp"
i=1
while [ $i -le $TOTP_USERS ]; do
	ul_user t$i@example.com
	ul_account comms t$i t$i@example.com
	ul_totp_user t$i@example.com 6     # confirmed with the previous step
	echo "$SECRET" >"$T/totp/t$i.secret"
	echo 0 >"$T/totp/t$i.step"         # the last step tried (whatever came of it)
	i=$((i + 1))
done
# the load's users: one each, its own secret
: >"$T/load.users"
i=1
while [ $i -le $LOADERS ]; do
	ul_user l$i@example.com
	ul_account comms l$i l$i@example.com
	ul_totp_user l$i@example.com 6
	echo "l$i l$i@example.com $SECRET 6" >>"$T/load.users"
	i=$((i + 1))
done
echo 0 >"$T/linkidx"
: >"$T/journal"

step_now() { echo $(($(date +%s) / 30)); }
code_at() { oathtool --totp -b -d 6 -N "@$(($2 * 30))" "$1"; }

# the writer: changes until one fails (the helper is gone); each change is
# journaled only after its acknowledgement.  Its last failure goes to
# $T/writer.fail, so the test can tell "the helper was killed" from "the
# helper refused a change" (the latter would be a bug).
writer() {
	round=$1 n=0 tu=0
	: >"$T/writer.fail"
	while :; do
		n=$((n + 1))
		case $((n % 3)) in
		1)      # a user add
			e="c$round-$n@example.com"
			if out=$(ctl user add "$e" 2>&1); then
				echo "user $e" >>"$T/round.journal"
			else
				echo "ctl user add $e: status $?: $out" >"$T/writer.fail"; return
			fi ;;
		2)      # a link of the next legacy account
			li=$(($(cat "$T/linkidx") + 1))
			[ $li -le $LINKS ] || continue
			echo $li >"$T/linkidx"   # tried: never tried again
			if out=$(ctl account link comms leg$li leg$li@example.com 2>&1); then
				echo "link leg$li leg$li@example.com" >>"$T/round.journal"
			else
				echo "ctl account link leg$li: status $?: $out" >"$T/writer.fail"; return
			fi ;;
		0)      # a login with a fresh TOTP step: the next user that has one
			here=$(step_now) k=0 u=
			while [ $k -lt $TOTP_USERS ]; do
				tu=$((tu % TOTP_USERS + 1)) k=$((k + 1))
				last=$(cat "$T/totp/t$tu.step")
				s=$((last + 1)); [ $s -ge $here ] || s=$here
				if [ $s -le $((here + 1)) ]; then u=t$tu; break; fi
			done
			[ -n "$u" ] || continue
			echo $s >"$T/totp/$u.step"
			code=$(code_at "$(cat "$T/totp/$u.secret")" $s)
			out=$(answers $u@example.com "$PASSWORD" "$code" | pam $u -o auth)
			case $out in
			*"auth: PAM_SUCCESS"*)
				echo "totp $u $u@example.com $s $code" >>"$T/round.journal" ;;
			*)
				echo "pam $u step $s: $(echo "$out" | grep '^auth:')" >"$T/writer.fail"; return ;;
			esac ;;
		esac
	done
}

rand_ms() { echo $(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 401)); }

# the batches the load gives, measured on a helper that is not killed
: >"$T/load.stats"
echo "$PASSWORD" | PYTHONDONTWRITEBYTECODE=1 python3 "$top_srcdir/tests/crashload.py" \
	"$T/run/unilogin.sock" "$T/load.users" "$T/journal" "$T/load.stats" 5 ||
	fail "the load got an answer that is not a login outcome"
set -- $(awk '{ b += $1; w += $2; n++ } END { print n + 0, b + 0, w + 0 }' "$T/load.stats")
echo "# group commit under the load: $1 waves of $LOADERS LOGIN_CODEs at once," \
	"$3 writes in $2 batches: $(awk -v w="$3" -v b="$2" 'BEGIN { printf "%.1f", b ? w / b : 0 }') a batch"
expect_eq "the load ran its waves of $LOADERS LOGIN_CODEs at once" 5 "$1"
# issue 14: at least 8 writes a batch on average under this load (one
# commit a write would give 1.0).  With the wave's codes sent back to back
# by one thread (crashload.py) it gave 11.4-16.8 in seven runs on this
# project's 2-CPU machine, beside another test too, and 18.8-22.9 in an
# ASan build; when each of 64 Python threads sent its own, 7.6.
awk -v w="$3" -v b="$2" 'BEGIN { exit !(b > 0 && w >= 8 * b) }' &&
	pass "group commit: at least 8 writes a batch under the load" ||
	fail "group commit: fewer than 8 writes a batch under the load ($3 in $2)"

kills=0 changes=0 missing=0 replay_ok=0 replay_weak=0 refused_up=0 unopened=0
load_bad=0
round=1
while [ $round -le $ROUNDS ]; do
	: >"$T/round.journal"
	writer $round &
	WPID=$!
	echo "$PASSWORD" | PYTHONDONTWRITEBYTECODE=1 python3 "$top_srcdir/tests/crashload.py" \
		"$T/run/unilogin.sock" "$T/load.users" "$T/round.journal" "$T/load.stats" \
		2>"$T/load.err" &
	LPID=$!
	ms=$(rand_ms)
	sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
	ul_kill9
	kills=$((kills + 1))
	wait $WPID || true
	if ! wait $LPID; then
		load_bad=$((load_bad + 1))
		fail "round $round: the load got an answer that is not a login outcome:"
		sed 's/^/#   /' "$T/load.err"
	fi
	# why did the writer stop?  The helper's death: status 3 (cannot be
	# reached, closed, timed out) or PAM_AUTHINFO_UNAVAIL.  Anything else is
	# a change refused by a live helper.
	why=$(cat "$T/writer.fail")
	case $why in
	*": status 3: "*|*"auth: PAM_AUTHINFO_UNAVAIL"*) ;;
	*) refused_up=$((refused_up + 1))
	   fail "round $round: the writer stopped on a refusal, not on the kill: $why" ;;
	esac

	ul_start
	if ! ctl status >/dev/null 2>&1; then
		unopened=$((unopened + 1)); fail "round $round: the store does not open"
	fi
	cat "$T/round.journal" >>"$T/journal"
	changes=$((changes + $(wc -l <"$T/round.journal")))

	# every journaled change so far (users and links: one list each)
	ctl user list >"$T/users.now"
	ctl account list comms >"$T/accounts.now"
	lost=$(awk -F'\t' '
		FILENAME == ARGV[1] { user[$1] = 1; next }
		FILENAME == ARGV[2] { if ($6 == "no") linked[$2] = 1; next }
		{ split($0, w, " ") }
		w[1] == "user" && !(w[2] in user) { print }
		w[1] == "link" && !(w[2] in linked) { print }
		' "$T/users.now" "$T/accounts.now" "$T/journal")
	if [ -n "$lost" ]; then
		missing=$((missing + $(echo "$lost" | wc -l)))
		fail "round $round: acknowledged changes lost after SIGKILL:"
		echo "$lost" | sed 's/^/#   /'
	fi
	# T3: this round's accepted codes are refused for ever
	while read -r kind u e s code; do
		[ "$kind" = totp ] || continue
		out=$(answers "$e" "$PASSWORD" "$code" | pam "$u" -o auth)
		case $out in
		*"auth: PAM_SUCCESS"*)
			missing=$((missing + 1))
			fail "round $round: T3: the code of step $s for $e was accepted again after the restart" ;;
		esac
		# the refusal proves the stored step only while the code is
		# still inside the window (step >= now - 1)
		if [ "$s" -ge $(($(step_now) - 1)) ]; then replay_ok=$((replay_ok + 1))
		else replay_weak=$((replay_weak + 1)); fi
	done <"$T/round.journal"
	round=$((round + 1))
done

users=$(grep -c '^user ' "$T/journal" || true)
links=$(grep -c '^link ' "$T/journal" || true)
totps=$(grep -c '^totp ' "$T/journal" || true)
echo "# journal: $users user adds, $links links, $totps TOTP steps" \
	"($replay_ok replays refused inside the window, $replay_weak outside it)"
expect_eq "S7: the store opened after each of the $kills kills" 0 "$unopened"
expect_eq "S7: no acknowledged change lost" 0 "$missing"
expect_eq "the writer stopped only because the helper was killed" 0 "$refused_up"
expect_eq "the load got only login outcomes while the helper was up" 0 "$load_bad"
[ "$changes" -gt 0 ] && pass "changes were acknowledged ($changes)" ||
	fail "no change was acknowledged in $kills rounds"
[ "$totps" -gt 0 ] && pass "TOTP steps were acknowledged ($totps)" ||
	fail "no TOTP login was acknowledged"
[ "$links" -gt 0 ] && pass "links were acknowledged ($links)" ||
	fail "no link was acknowledged"

# a last full look, one change at a time, on the running helper
bad=0
while read -r kind a b rest; do
	case $kind in
	user) ctl user show "$a" 2>/dev/null | grep -qx "email: $a" || bad=$((bad + 1)) ;;
	link) ctl account show comms "$a" 2>/dev/null | grep -qx "owner: $b" || bad=$((bad + 1)) ;;
	esac
done <"$T/journal"
expect_eq "user show / account show find every journaled change" 0 "$bad"
if [ "$missing" -eq 0 ] && [ "$unopened" -eq 0 ]; then
	echo "# $kills kills, $changes acknowledged changes, all present"
else
	echo "# $kills kills, $changes acknowledged changes, $missing missing"
fi
ul_done
