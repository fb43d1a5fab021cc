#!/bin/sh
# The provider killed or stopped (SIGSTOP) under the helpers of three
# hosts (F2, S6, S7), each request's answer as the spec says
# (INTERFACES.md, Fleet), for every one of N requests:
#   - a login that needs a write (a right or wrong password: the failure
#     count; a code: the step; a legacy account's own password) gets
#     PAM_AUTHINFO_UNAVAIL from the helper
#     itself, before the client's own deadline (the helper's `timeout`),
#     and never PAM_SUCCESS;
#   - NSS, LOOKUP and ACCOUNT_CHECK still answer from the host's replica;
#   - each host's log says why it refused;
#   - an admin write says "provider unreachable: nothing changed" (exit
#     3), or "outcome unknown" when it was sent and its answer never came;
#   - kill -9 of the provider during a stream of writes from three hosts:
#     every acknowledged change is there after its restart (S7), on the
#     provider and on every replica.
# Requests go over the wire (tests/fleet/races.py outage: N of each kind,
# several at once) and through the real libpam and libnss (pamdrive,
# getent through nss_wrapper).
# FLEET_VIA=verifiers (tests/fleet/via_verifiers/failure.sh, issue 16):
# every host in role = host, relaying to two verifiers (store = ldap,
# each reading its own replica s1, s2 and writing to p1; h1, h3 to v1
# first, h2 to v2), the provider stopped or killed under the verifiers.  The same answers, each now the verifier's, passed on by
# the host: a login that needs a write is refused (unreachable or
# unknown, never PAM_SUCCESS) before the deadline; NSS, LOOKUP and
# ACCOUNT_CHECK answer from the host's replica; admin writes (run on a
# verifier: a host makes none) say "nothing changed" or "outcome unknown";
# the log that says why logins were refused is the verifier's (it is the
# one that could not write), and the host's own names its verifier and why.  A
# verifier itself stopped or killed is tests/fleet/verifier.sh's case.
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/lib.sh"
fleet_need_driver totp
WRAPPER=
for f in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do
	[ -e "$f" ] && WRAPPER=$f
done
[ -n "$WRAPPER" ] || ul_skip "nss_wrapper (package libnss-wrapper) is needed"

N=${UL_FLEET_OUTAGE_N:-20}
fleet_init
fleet_load
fleet_start $FLEET_NAMES
fleet_synced $FLEET_REPLICAS
hosts="h1 h2 h3"
fleet_helper_start $hosts

# plain@ (a password alone) and tfa@ (an authenticator app, 8 digits)
for who in plain tfa; do
	code=$(fleet_wctl h1 --json user add "$who@example.com" | sed -n 's/.*"confirmation_code":"\([^"]*\)".*/\1/p')
	answers "$code" "$PASSWORD" |
		"$UL_BIN/unilogin" --config "$(fleet_wconf h1)" --password-stdin verify "$who@example.com" >/dev/null
	fleet_wctl h1 product add comms >/dev/null 2>&1 || true
	fleet_wctl h1 account add comms "$who" --email "$who@example.com" >/dev/null
done
(umask 077; fleet_wctl h1 --json tfa enroll tfa@example.com --digits 8 |
	sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' >"$T/secret")
fleet_wctl h1 tfa confirm tfa@example.com "$(totp "$(cat "$T/secret")" 8 -30)" >/dev/null
fleet_synced $FLEET_REPLICAS

races() { # WHAT ARGS...: races.py on every host's socket
	what=$1; shift
	socks=
	for h in $hosts; do
		socks="$socks $(fleet_helper_socket "$h") --admin $(fleet_admin_socket "$h")"
	done
	drv=0
	# shellcheck disable=SC2086
	PYTHONDONTWRITEBYTECODE=1 timeout 300 python3 "$top_srcdir/tests/fleet/races.py" \
		"$what" "$@" $socks >"$T/$what.out" 2>&1 || drv=$?
	sed 's/^/# /' "$T/$what.out" >&2
	[ "$drv" -eq 0 ] || fail "races.py $what ended with status $drv" >&2
	cat "$T/$what.out"
}
nss() {
	env LD_PRELOAD="$ASAN_PRELOAD${ASAN_PRELOAD:+ }$WRAPPER" NSS_WRAPPER_PASSWD="$T/passwd" \
	    NSS_WRAPPER_GROUP="$T/group" \
	    NSS_WRAPPER_MODULE_SO_PATH="$top_builddir/.libs/libnss_unilogin.so.2" \
	    NSS_WRAPPER_MODULE_FN_PREFIX=unilogin UNILOGIN_CONF="$(fleet_helper_conf "$1")" \
	    getent passwd "$2" | cut -d: -f1,3
}
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$T/passwd"
printf 'root:x:0:\n' >"$T/group"
plain_uid=$(fleet_ctl h1 --json account show comms plain | sed -n 's/.*"uid":\([0-9]*\).*/\1/p')

out=$(races outage --n 3 --parallel 1 --secret-file "$T/secret")
expect_contains "provider up: a login with a password alone" "$out" \
	"login_password: requests 3 ok 3 unreachable 0 unknown 0 noreply 0 other 0"
expect_contains "provider up: a legacy account's own password" "$out" \
	"login_legacy: requests 3 ok 3 unreachable 0 unknown 0 noreply 0 other 0"
expect_contains "provider up: LOOKUP answers" "$out" "lookup: requests 3 ok 3 "
fleet_synced $FLEET_REPLICAS    # the legacy account it added, on every replica

# why_log HOST: the log of the helper that refuses HOST's logins when the
# provider is out: HOST's own, or (FLEET_VIA=verifiers) its verifier's
why_log() {
	if [ "$FLEET_VIA" = verifiers ]; then
		echo "$FLEET_DIR/$(fleet_host_verifier "$1")/helper.log"
	else
		echo "$FLEET_DIR/$1/helper.log"
	fi
}

# outage WHICH: each request's answer while the provider is WHICH
# (stopped, killed)
outage() {
	for h in $hosts; do
		wc -l <"$(why_log "$h")" >"$T/log-lines.$h"
		wc -l <"$FLEET_DIR/$h/helper.log" >"$T/host-log-lines.$h"
	done
	out=$(races outage --n "$N" --parallel 6 --deadline "$UL_TIMEOUT" --secret-file "$T/secret")
	for kind in login_password login_wrong login_code login_legacy; do
		line=$(printf '%s\n' "$out" | grep "^$kind: ")
		expect_contains "$1: $kind over the wire: never accepted, each answered by the helper (refused) before the deadline, $N of $N" \
			"$line" "requests $N ok 0 "
		expect_contains "$1: $kind: none waited past the helper's timeout" "$line" "noreply 0 other 0"
		case $line in
		*" unreachable $N "*|*" unknown $N "*) ;;
		*) expect_eq "$1: $kind: unreachable + unknown = $N" "$N" \
			"$(printf '%s\n' "$line" | awk '{print $7 + $9}')" ;;
		esac
	done
	expect_contains "$1: LOOKUP answers from the replica, $N of $N" "$out" \
		"lookup: requests $N ok $N unreachable 0 unknown 0 noreply 0 other 0"
	expect_contains "$1: ACCOUNT_CHECK answers from the replica, $N of $N" "$out" \
		"account_check: requests $N ok $N unreachable 0 unknown 0 noreply 0 other 0"
	for h in $hosts; do
		got=$(answers plain@example.com "$PASSWORD" | fleet_pam "$h" plain)
		expect_contains "$1: PAM on $h: a password login is PAM_AUTHINFO_UNAVAIL" "$got" \
			"auth: PAM_AUTHINFO_UNAVAIL"
		expect_contains "$1: PAM on $h: ... said by the helper (not the module's deadline)" \
			"$got" "error: "
		got=$(answers tfa@example.com "$PASSWORD" "$(totp "$(cat "$T/secret")" 8)" | fleet_pam "$h" tfa)
		expect_contains "$1: PAM on $h: a code login is PAM_AUTHINFO_UNAVAIL" "$got" \
			"auth: PAM_AUTHINFO_UNAVAIL"
		expect_lacks "$1: PAM on $h: never PAM_SUCCESS" "$got" "PAM_SUCCESS"
		expect_eq "$1: NSS on $h answers from the replica" "plain:$plain_uid" "$(nss "$h" plain)"
		expect_contains "$1: $h's log (or its verifier's) says why logins were refused" \
			"$(tail -n "+$(($(cat "$T/log-lines.$h") + 1))" "$(why_log "$h")")" \
			"store: login_code refused: provider"
		# ... and a host in role = host says it too: its admin looks there
		[ "$FLEET_VIA" != verifiers ] || expect_contains \
			"$1: $h's own log says its verifier refused a login, and why" \
			"$(tail -n "+$(($(cat "$T/host-log-lines.$h") + 1))" "$FLEET_DIR/$h/helper.log")" \
			": login_code refused: provider unreachable"
	done
}

p1=$(cat "$FLEET_DIR/p1/pid")
kill -STOP "$p1"
# an admin write: a product add is sent at once (no answer: unknown); a
# user lock reads its user on the provider first (no answer: nothing was
# sent); after a request that waited ldap_timeout the helper holds the
# provider off for as long (nothing sent: unreachable)
rc=0; got=$(fleet_wctl h3 product add stopped 2>&1) || rc=$?
echo "# provider stopped: product add: status $rc: $got"
expect_eq "provider stopped: product add exits 3" 3 "$rc"
expect_contains "provider stopped: product add sent, no answer: outcome unknown" "$got" \
	"provider did not answer: outcome unknown"
rc=0; got=$(fleet_wctl h2 user lock plain@example.com 2>&1) || rc=$?
echo "# provider stopped: user lock: status $rc: $got"
expect_eq "provider stopped: user lock exits 3" 3 "$rc"
expect_contains "provider stopped: user lock (its read had no answer): nothing changed" "$got" \
	"provider unreachable: nothing changed"
outage "provider stopped"
kill -CONT "$p1"
kill -KILL "$p1"; wait "$p1" 2>/dev/null || true; rm -f "$FLEET_DIR/p1/pid"
outage "provider killed"
for h in $hosts; do
	rc=0; got=$(fleet_wctl "$h" user lock plain@example.com 2>&1) || rc=$?
	expect_eq "provider killed: user lock on $h exits 3" 3 "$rc"
	expect_contains "provider killed: user lock on $h: provider unreachable: nothing changed" \
		"$got" "provider unreachable: nothing changed"
done

# restart_p1 WHAT: p1 again, and a write through h1 before waiting for
# the replicas: a slapd killed after a delete comes back with an older
# contextCSN than it had sent them (no entry holds the delete's CSN), so
# they equal it again only after a newer change
restart_p1() {
	fleet_start p1
	expect_eq "$1: the provider takes a write again" "" \
		"$(fleet_wctl h1 product add "after-$2" 2>&1 >/dev/null)"
	fleet_synced $FLEET_REPLICAS
}

# back: the same helpers write again
restart_p1 "provider back" kill
out=$(answers plain@example.com "$PASSWORD" | fleet_pam h2 plain)
expect_contains "provider back: a login on h2" "$out" "auth: PAM_SUCCESS"

# S7: kill -9 of the provider during users added from three hosts at once
p1=$(cat "$FLEET_DIR/p1/pid")
out=$(races stream --parallel 3 --after 150 --kill "$p1" --acked "$T/acked")
expect_contains "S7: the stream was cut by the kill" "$out" "killed yes"
wait "$p1" 2>/dev/null || true; rm -f "$FLEET_DIR/p1/pid"
restart_p1 "S7: after kill -9" stream
acked=$(wc -l <"$T/acked")
for n in p1 $FLEET_REPLICAS; do
	fleet_search "$n" "ou=users,$FLEET_SUFFIX" '(mail=s7-*)' mail | sed -n 's/^mail: //p' |
		sort >"$T/have.$n"
	expect_eq "S7: $n holds each of the $acked acknowledged users after the restart" "" \
		"$(sort "$T/acked" | comm -23 - "$T/have.$n" | head -5)"
done

fleet_helper_stop $hosts
fleet_stop $FLEET_NAMES
ul_done
