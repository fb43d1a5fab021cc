#!/bin/sh
# The host's replica stops answering while a login hashes its password
# (F2, S3).  A teammate's access (L7) is read from the replica after the
# right password's hash; with the replica stopped (SIGSTOP) from the
# moment the hash starts (the helper's kdf_runs counter moved), that read
# finds no answer within ldap_timeout, and the login gets "the directory
# cannot be reached" from the helper: not the wrong-password answer (a
# ticket for the code prompt, S1) and no failure counted against a right
# password.  Once the replica answers again, the same login passes with
# the teammate's role, and a wrong password is counted on the provider
# (so the counter read here can see one).  Self-service with the replica
# stopped is told the same way, and counts nothing.
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/lib.sh"
fleet_need_driver

fleet_init
fleet_load
fleet_start p1 p2 c1
fleet_synced c1
# a hash that lasts (2 passes over 64 MiB: tens of ms), so that the
# replica is stopped while it runs, well before the read after it
fleet_helper_config h1 "kdf = 2:64"
fleet_helper_start h1
for who in ann ben; do
	code=$(fleet_ctl h1 --json user add "$who@example.com" |
		sed -n 's/.*"confirmation_code":"\([^"]*\)".*/\1/p')
	answers "$code" "$PASSWORD" | "$UL_BIN/unilogin" --config "$(fleet_helper_conf h1)" \
		--password-stdin verify "$who@example.com" >/dev/null
done
fleet_ctl h1 product add comms >/dev/null 2>&1 || true
fleet_ctl h1 account add comms ann --email ann@example.com >/dev/null
fleet_ctl h1 account invite comms ann ben@example.com --role billing >/dev/null
fleet_synced c1

counters() { # the failure counters on the provider: one count a line
	fleet_search p1 "ou=failures,$FLEET_SUFFIX" '(uniFailCount=*)' uniFailCount |
		sed -n 's/^uniFailCount: //p'
}

# shellcheck disable=SC2016
drive='
import os, signal, sys, threading, time
sys.path.insert(0, sys.argv[1])
import ulwire
sock, c1, pw, stall = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5] == "stall"
cl = ulwire.Client(sock)
def runs():
    return cl.call("status").get("kdf_runs")
out = []
def login():
    out.append(cl.call("login_begin", product="comms", unix_user="ann",
                       email="ben@example.com", password=pw, service="test"))
r0 = runs()
t = threading.Thread(target=login)
t.start()
if stall:
    # the hash has begun once the counter moved: stop the replica then
    deadline = time.monotonic() + 60
    while runs() == r0 and time.monotonic() < deadline:
        pass
    os.kill(c1, signal.SIGSTOP)
t.join()
if stall:
    os.kill(c1, signal.SIGCONT)
r = out[0]
print("result %s role %s message %s" % (r.result, r.get("role"), r.message))
'
login() { # PASSWORD [stall]
	python3 -c "$drive" "$top_srcdir/tests" "$(fleet_helper_socket h1)" \
		"$(cat "$FLEET_DIR/c1/pid")" "$1" "${2:-}"
}

out=$(login "$PASSWORD" stall)
echo "# stalled: $out"
expect_contains "F2: the replica stopped during the hash: the directory cannot be reached" \
	"$out" "result -49 "
expect_eq "S3: ... and no failure counted against the right password" "" "$(counters)"
expect_contains "F2: ... and the host's log says why" "$(cat "$FLEET_DIR/h1/helper.log")" \
	"login provider unreachable: nothing changed: email=ben@example.com"

out=$(login "$PASSWORD")
expect_contains "L7: the replica back: the teammate logs in with its role" \
	"$out" "result 0 role billing"
out=$(login "not the password")
expect_contains "S1: a wrong password gets the code prompt's ticket" "$out" "result -21 "
expect_eq "S3: ... and its failure is counted on the provider" "1" "$(counters)"

# self-service (`unilogin accounts`, `unilogin passwd`) with the replica
# stopped: the user's read has no answer within ldap_timeout: told as the
# directory away (exit 3), not as a wrong email or password, and nothing
# counted on the provider (it is up: a failure could be written there)
before=$(counters)
kill -STOP "$(cat "$FLEET_DIR/c1/pid")"
for cmd in accounts passwd; do
	rc=0
	got=$(answers ann@example.com "$PASSWORD" "" "a new password 1" |
		"$UL_BIN/unilogin" --config "$(fleet_helper_conf h1)" --password-stdin \
		"$cmd" 2>&1) || rc=$?
	echo "# replica stopped: unilogin $cmd: status $rc: $got"
	expect_eq "F2: replica stopped: unilogin $cmd exits 3 (the directory away)" 3 "$rc"
	expect_lacks "F2: ... not a wrong email or password" "$got" "wrong email or password"
done
kill -CONT "$(cat "$FLEET_DIR/c1/pid")"
expect_eq "S3: ... and no failure counted for them" "$before" "$(counters)"
rc=0
answers ann@example.com "$PASSWORD" "" | "$UL_BIN/unilogin" --config "$(fleet_helper_conf h1)" \
	--password-stdin accounts >/dev/null 2>&1 || rc=$?
expect_eq "the replica back: unilogin accounts works" 0 "$rc"

fleet_helper_stop h1
fleet_stop p1 p2 c1
ul_done
