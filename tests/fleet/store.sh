#!/bin/sh
# The directory backend's intents raced across hosts (F1), on the loopback
# fleet: each host a store of its own (its replica c1..c3, the provider
# p1), driven through store.h by tests/fleet/store_race.
#   T3: one TOTP step sent to two hosts at once, 1,000 trials: exactly one
#       accepted in each; an older step after a newer one: refused.
#   The user entry a transaction keeps for its next reads, and what a
#       prefetch fetched: its own write and its own failure count seen; a
#       step spent or a method removed on another host between the read
#       and the accept: refused.
#   S3: 4 hosts x 50 tries at once for one email: with lockout_attempts 5,
#       exactly 5 counted (the 5th locks out) and 195 told "locked out";
#       with a limit above 200, 200 counted and the count is 200 (no
#       increment lost).
#   T4, U5, U2: a recovery code (1,000 trials), a reset and a confirmation
#       code (100 each) spent at two hosts at once: each exactly once.
#   the fleet key: the first helper's fingerprint recorded, other keys
#       refused.
#   L1a: two hosts allocating 1,000 uids at once: 0 duplicates.
#   L1, L1a: two hosts adding one unix_user (or one uid) at once, 100
#       trials each: one winner, the other told it exists; the winner read
#       back by unix_user and uid; every account listed once.
#   F2: the provider stopped or killed: reads answered, writes refused.
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/lib.sh"
RACE=$top_builddir/tests/fleet/store_race
[ -x "$RACE" ] || ul_skip "unilogind built without LDAP (configure --with-ldap)"

fleet_init
fleet_load
fleet_start $FLEET_NAMES
fleet_synced c1 c2 c3

# host N: its replica cN (host 4 shares c1), simple bind as hostN
for h in 1 2 3 4; do
	c=c$(( (h - 1) % 3 + 1 ))
	[ "$h" -le 3 ] || { fleet_secret host4 >/dev/null; cp -p "$FLEET_DIR/host1.pw" "$FLEET_DIR/host4.pw"; }
	id=host$h; [ "$h" -le 3 ] || id=host1
	cat >"$T/host$h.conf" <<CONF
state_dir = $T/state$h
store = ldap
ldap_read_uri = $(fleet_ldapi "$c")
ldap_write_uri = $(fleet_url p1)
ldap_base = $FLEET_SUFFIX
ldap_bind = simple
ldap_bind_dn = cn=$id,ou=helpers,$FLEET_SUFFIX
ldap_bind_password_file = $FLEET_DIR/$id.pw
CONF
	chmod 644 "$T/host$h.conf"
done

out=$("$RACE" totp 1000 "$T/host1.conf" "$T/host2.conf" 2>&1) || true
echo "# $out" | head -3
expect_contains "T3: one step at two hosts at once: exactly one accepted, 1000 of 1000 trials" \
	"$out" "trials 1000 exactly_one 1000 both 0 none 0"
expect_contains "a newer step is accepted on host 1" "$out" "newer step on host 1: accepted"
expect_contains "an older step after it is refused on host 2" "$out" \
	"older step on host 2: changed meanwhile; nothing was changed"

out=$("$RACE" memo 50 "$T/host1.conf" "$T/host2.conf" 2>&1) || true
echo "# $out"
expect_contains "a user read again in one transaction (after a prefetch): its own write and its own failure count seen, a step spent or a method removed on host 2 meanwhile refused, 50 of 50" \
	"$out" "memo: trials 50 own_write_seen 50 own_count_seen 50 spent_step_refused 50 removed_method_refused 1"

out=$("$RACE" codes 1000 "$T/host1.conf" "$T/host2.conf" 2>&1) || true
echo "$out" | sed 's/^/# /'
expect_contains "T4: a recovery code at two hosts at once: accepted exactly once, 1000 of 1000" \
	"$out" "recovery: trials 1000 exactly_one 1000 both 0 none 0"
expect_contains "U5: a reset code at two hosts at once: exactly once, 100 of 100" \
	"$out" "reset: trials 100 exactly_one 100 both 0 none 0"
expect_contains "U2: a confirmation code at two hosts at once: exactly once, 100 of 100" \
	"$out" "confirm: trials 100 exactly_one 100 both 0 none 0"

out=$("$RACE" accounts 100 "$T/host1.conf" "$T/host2.conf" 2>&1) || true
echo "$out" | sed 's/^/# /'
expect_contains "L1: one unix_user added at two hosts at once: one winner, the other told it exists, 100 of 100" \
	"$out" "unix_user: trials 100 exactly_one 100 both 0 none 0 exists 100 read_back 100"
expect_contains "L1a: one uid added at two hosts at once: one winner, 100 of 100" \
	"$out" "uid: trials 100 exactly_one 100 both 0 none 0 exists 100 read_back 100"
expect_contains "the 200 accounts made are listed, each once" "$out" "listed 200 (to the end)"

hosts="$T/host1.conf $T/host2.conf $T/host3.conf $T/host4.conf"
# shellcheck disable=SC2086
out=$("$RACE" uids 1000 5 $T/host1.conf $T/host2.conf 2>&1) || true
echo "# $out"
expect_contains "two hosts allocating 1000 uids at once: 0 duplicates" "$out" \
	"uids 1000 duplicates 0 failed 0"
# shellcheck disable=SC2086
out=$("$RACE" lockout 50 5 $hosts 2>&1) || true
echo "# $out"
expect_contains "S3: 4 hosts x 50 wrong tries: 5 counted, the 5th locks out, 195 locked out" \
	"$out" "tries 200 counted 5 locked_out 195 other 0 count_after 0 locked yes"
# shellcheck disable=SC2086
out=$("$RACE" lockout 50 1000 $hosts 2>&1) || true
echo "# $out"
expect_contains "S3: 200 tries at once below the limit: none lost" \
	"$out" "tries 200 counted 200 locked_out 0 other 0 count_after 200 locked no"

# the fleet key rule: the first helper's fingerprint is recorded; a helper
# with the same keys passes, one with other keys is refused, told why
a=blake2b:$(printf '%064d' 1) b=blake2b:$(printf '%064d' 2)
expect_eq "the first helper records its keys' fingerprint" "keys: ok " \
	"$("$RACE" keys "$a" "$T/host1.conf" 2>&1)"
expect_eq "cn=fleet holds it" "uniKeyFingerprint: $a" \
	"$(fleet_search p1 "cn=fleet,ou=meta,$FLEET_SUFFIX" '(objectClass=*)' uniKeyFingerprint | grep '^uniKeyFingerprint')"
expect_eq "another host with the same keys: ok" "keys: ok " \
	"$("$RACE" keys "$a" "$T/host2.conf" 2>&1)"
expect_contains "a host with other keys is refused, and told whose keys to copy" \
	"$("$RACE" keys "$b" "$T/host3.conf" 2>&1)" \
	"keys: changed meanwhile; nothing was changed this helper's keys file ($b) is not the fleet's ($a, recorded under $FLEET_SUFFIX)"

# F2: the provider hung (SIGSTOP), then killed: reads still answered by
# the replica; a write gets "outcome unknown" (sent, no answer) or
# "unreachable", after ldap_timeout (1 s), never success and never a hang
"$RACE" setup "$T/host1.conf" || fail "setup: product comms"
fleet_synced c1
rm -f "$T/go"; mkfifo "$T/go"
"$RACE" outage "$T/host1.conf" <"$T/go" >"$T/outage.out" 2>&1 &
race_pid=$!
exec 3>"$T/go"
step() { # LINE: sends it, waits (bounded) for its answer, prints it
	n=$(wc -l <"$T/outage.out")
	echo "$1" >&3
	i=0
	while [ "$(wc -l <"$T/outage.out")" -le "$n" ] && [ "$i" -lt 800 ]; do
		i=$((i + 1)); sleep 0.025
	done
	tail -1 "$T/outage.out"
}
i=0
until grep -q ready "$T/outage.out" || [ "$i" -gt 400 ]; do i=$((i + 1)); sleep 0.025; done
expect_contains "provider up: a write is acknowledged" "$(step write)" "write to the provider: ok"
p1=$(cat "$FLEET_DIR/p1/pid")
kill -STOP "$p1"
expect_contains "provider stopped: the replica still answers" "$(step read)" \
	"read from the replica: ok"
out=$(step write)
echo "# SIGSTOP: $out"
expect_contains "provider stopped: the write's outcome is unknown, not success" "$out" \
	"write to the provider: provider did not answer: outcome unknown"
kill -CONT "$p1"
kill -KILL "$p1"; wait "$p1" 2>/dev/null || true; rm -f "$FLEET_DIR/p1/pid"
expect_contains "provider killed: the replica still answers" "$(step read)" \
	"read from the replica: ok"
out=$(step write)
echo "# SIGKILL: $out"
expect_lacks "provider killed: the write is not acknowledged" "$out" "write to the provider: ok"
expect_contains "provider killed: the write is refused (unreachable or unknown)" "$out" \
	"write to the provider: provider"
fleet_start p1 3>&-    # the restarted slapd must not hold the fifo open
expect_contains "provider restarted: the same store writes again (a new session)" \
	"$(step write)" "write to the provider: ok"
# S7 across a kill -9: both acknowledged writes are there (the two sent
# into the outage may or may not be: their outcome was unknown)
out=$(step count)
echo "# $out"
case $out in
"count on the provider: "[234]" ") pass "kill -9 of the provider: every acknowledged write is there after its restart" ;;
*) fail "kill -9 of the provider: expected 2 to 4 counted, got [$out]" ;;
esac
exec 3>&-
wait "$race_pid" || fail "store_race outage ended badly: $(cat "$T/outage.out")"

fleet_stop $FLEET_NAMES
ul_done
