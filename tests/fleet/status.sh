#!/bin/sh
# uniloginctl fleet status against the loopback fleet, each field checked
# against what was done to the fleet (INTERFACES.md, "Fleet"):
#   backend, role, schema version, the fleet key (this host's fingerprint,
#   the one recorded; another one recorded: "other keys"), state ok;
#   --json parses;
#   the replica stopped (SIGSTOP) or killed: replica unreachable, and back;
#   the provider stopped or killed: provider unreachable, what the replica
#   knows still shown;
#   replication lag: host 3's replica takes p1's changes through a relay
#   the test stops, the provider is written meanwhile: lag above 0, and 0
#   again once the relay goes on;
#   a host whose policy line differs from the first helper's: shown, the
#   recorded policy unchanged;
#   store = lmdb: "not a fleet", exit 0; promote and repair: exit 1.
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/lib.sh"
. "$top_srcdir/tests/fleet/hosts.sh"

fleet_init
# c3 replicates from p1 through a relay on a port of its own
relay_port=$(fleet_free_port)
p1_port=$(fleet_url p1 | sed 's|.*:\([0-9]*\)/$|\1|')
sed -i "s|provider=$(fleet_url p1)|provider=ldap://127.0.0.1:$relay_port/|" \
	"$FLEET_DIR/c3/slapd.conf"
grep -q "provider=ldap://127.0.0.1:$relay_port/" "$FLEET_DIR/c3/slapd.conf" ||
	{ echo "c3's syncrepl line not found"; exit 99; }
cat >"$T/relay.py" <<'PY'
import socket, sys, threading
listen, target = int(sys.argv[1]), int(sys.argv[2])
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", listen)); srv.listen(16)
while True:
    c, _ = srv.accept()
    try:
        u = socket.create_connection(("127.0.0.1", target))
    except OSError:
        c.close()
        continue
    for a, b in ((c, u), (u, c)):
        threading.Thread(target=pipe, args=(a, b), daemon=True).start()
PY
python3 "$T/relay.py" "$relay_port" "$p1_port" &
RELAY=$!
trap 'kill "$RELAY" 2>/dev/null || true; hosts_cleanup' EXIT
fleet_load
fleet_start $FLEET_NAMES
fleet_synced c1 c2 c3 p2

field() { sed -n "s/^$1: //p"; }
# status_until N FIELD VALUE: fleet status on host N until FIELD is VALUE
# (bounded: 10 s); prints the last status
status_until() {
	i=0
	while :; do
		out=$(hctl "$1" fleet status 2>&1 || true)
		[ "$(printf '%s\n' "$out" | field "$2")" != "$3" ] && [ "$i" -lt 200 ] || break
		i=$((i + 1)); sleep 0.05
	done
	printf '%s\n' "$out"
}

host_config 1 c1
host_start 1
out=$(status_until 1 replication_lag_ms 0)
echo "$out" | sed 's/^/# /'
expect_eq "backend" "ldap" "$(echo "$out" | field backend)"
expect_eq "role" "standalone" "$(echo "$out" | field role)"
expect_eq "provider reachable" "reachable" "$(echo "$out" | field provider)"
expect_eq "replica reachable" "reachable" "$(echo "$out" | field replica)"
expect_eq "schema version (cn=fleet's)" \
	"$(fleet_search p1 "cn=fleet,ou=meta,$FLEET_SUFFIX" '(objectClass=*)' uniSchemaVersion |
	    sed -n 's/^uniSchemaVersion: //p')" "$(echo "$out" | field version)"
expect_eq "a replica in step: lag 0" "0" "$(echo "$out" | field replication_lag_ms)"
fp=$(hctl 1 keys fingerprint | field fingerprint)
expect_eq "this host's key fingerprint" "$fp" "$(echo "$out" | field fingerprint)"
expect_eq "... the one recorded under ldap_base" "uniKeyFingerprint: $fp" \
	"$(fleet_search p1 "cn=fleet,ou=meta,$FLEET_SUFFIX" '(objectClass=*)' uniKeyFingerprint |
	    grep '^uniKeyFingerprint')"
expect_eq "state ok" "ok" "$(echo "$out" | field state)"
expect_eq "never promoted: step floor 0" "0" "$(echo "$out" | field totp_step)"
expect_eq "the first helper's policy is recorded" \
	"$(printf 'uniPolicy: %s\n' kdf=1:8 lockout_attempts=5 lockout_seconds=900 \
	    totp_window=1 totp_digits=6 uid_min=900000000 uid_max=999999999 | sort)" \
	"$(fleet_search p1 "cn=fleet,ou=meta,$FLEET_SUFFIX" '(objectClass=*)' uniPolicy |
	    grep '^uniPolicy' | sort)"

json=$(hctl 1 --json fleet status)
got=$(printf '%s' "$json" | python3 -c 'import json,sys; d=json.load(sys.stdin)
print(d["backend"], d["provider"], d["replica"], d["replication_lag_ms"], type(d["replication_lag_ms"]).__name__, d["state"], d["fingerprint"])')
expect_eq "--json parses, with the same fields" "ldap reachable reachable 0 int ok $fp" "$got"

# the fleet's recorded key replaced (as if this host's keys were not the
# fleet's): said so
fleet_admin p1 ldapmodify >/dev/null <<LDIF
dn: cn=fleet,ou=meta,$FLEET_SUFFIX
changetype: modify
replace: uniKeyFingerprint
uniKeyFingerprint: blake2b:0000
LDIF
out=$(hctl 1 fleet status)
expect_eq "keys that are not the fleet's: state says so" "other keys" "$(echo "$out" | field state)"
expect_contains "... and detail names both" "$(echo "$out" | field detail)" \
	"this host's keys ($fp) are not the fleet's (blake2b:0000, recorded under ldap_base)"
fleet_admin p1 ldapmodify >/dev/null <<LDIF
dn: cn=fleet,ou=meta,$FLEET_SUFFIX
changetype: modify
replace: uniKeyFingerprint
uniKeyFingerprint: $fp
LDIF
expect_eq "the fleet's key back: ok" "ok" "$(hctl 1 fleet status | field state)"

# the replica stopped, then killed
kill -STOP "$(cat "$FLEET_DIR/c1/pid")"
rc=0; out=$(hctl 1 fleet status 2>&1) || rc=$?
kill -CONT "$(cat "$FLEET_DIR/c1/pid")"
expect_eq "the replica stopped: status still answers (exit 0)" 0 "$rc"
expect_contains "... replica unreachable" "$(echo "$out" | field replica)" "unreachable: $(fleet_ldapi c1)"
expect_eq "... provider reachable" "reachable" "$(echo "$out" | field provider)"
expect_eq "... no lag measured" "" "$(echo "$out" | field replication_lag_ms)"
expect_eq "... state degraded" "degraded" "$(echo "$out" | field state)"
out=$(status_until 1 replica reachable)
expect_eq "the replica going on: reachable again" "reachable" "$(echo "$out" | field replica)"
fleet_stop c1
out=$(hctl 1 fleet status 2>&1)
expect_contains "the replica killed: unreachable" "$(echo "$out" | field replica)" "unreachable"
fleet_start c1
out=$(status_until 1 replica reachable)
expect_eq "the replica started again: reachable (the session opened again)" "reachable" \
	"$(echo "$out" | field replica)"

# the provider stopped, then killed
kill -STOP "$(cat "$FLEET_DIR/p1/pid")"
out=$(hctl 1 fleet status 2>&1)
kill -CONT "$(cat "$FLEET_DIR/p1/pid")"
expect_contains "the provider stopped: unreachable" "$(echo "$out" | field provider)" \
	"unreachable: $(fleet_url p1)"
expect_eq "... the replica reachable" "reachable" "$(echo "$out" | field replica)"
expect_eq "... the key still checked (from the replica)" "ok-$fp" \
	"$(echo "$out" | field state | sed 's/degraded/ok/')-$(echo "$out" | field fingerprint)"
out=$(status_until 1 provider reachable)
expect_eq "the provider going on: reachable again" "reachable" "$(echo "$out" | field provider)"
fleet_stop p1
out=$(hctl 1 fleet status 2>&1)
expect_contains "the provider killed: unreachable" "$(echo "$out" | field provider)" "unreachable"
fleet_start p1
fleet_synced c1 c2 c3

# replication lag on host 3 (its replica c3 behind the relay)
host_config 3 c3
host_start 3
out=$(status_until 3 replication_lag_ms 0)
expect_eq "host 3 in step: lag 0" "0" "$(echo "$out" | field replication_lag_ms)"
kill -STOP "$RELAY"
fleet_admin p1 ldapmodify >/dev/null <<LDIF
dn: ou=readers,$FLEET_SUFFIX
changetype: modify
replace: description
description: written while c3 cannot hear p1
LDIF
out=$(hctl 3 fleet status 2>&1)
lag=$(echo "$out" | field replication_lag_ms)
echo "# lag with the relay stopped: $lag ms"
[ -n "$lag" ] && [ "$lag" -gt 0 ] && pass "the provider written while c3 cannot follow: lag above 0 ($lag ms)" ||
	fail "lag above 0 expected, got [$lag]: $out"
expect_eq "... the replica still reachable" "reachable" "$(echo "$out" | field replica)"
kill -CONT "$RELAY"
out=$(status_until 3 replication_lag_ms 0)
expect_eq "the relay going on: lag 0 again" "0" "$(echo "$out" | field replication_lag_ms)"
host_stop 3

# a host whose policy differs from the first helper's
host_config 2 c2 "lockout_attempts = 7" "totp_window = 2"
host_start 2
out=$(hctl 2 fleet status)
expect_eq "another policy: state says so" "policy differs" "$(echo "$out" | field state)"
expect_contains "... lockout_attempts shown" "$(echo "$out" | field detail)" \
	"policy lockout_attempts: here 7, fleet 5"
expect_contains "... totp_window shown" "$(echo "$out" | field detail)" \
	"policy totp_window: here 2, fleet 1"
expect_lacks "... nothing else" "$(echo "$out" | field detail)" "kdf"
expect_contains "the recorded policy stays the first helper's" \
	"$(fleet_search p1 "cn=fleet,ou=meta,$FLEET_SUFFIX" '(objectClass=*)' uniPolicy)" \
	"uniPolicy: lockout_attempts=5"
expect_eq "host 1 (the recorded policy): ok" "ok" "$(hctl 1 fleet status | field state)"
host_stop 2
host_stop 1
kill "$RELAY" 2>/dev/null || true

# one host, no fleet
ul_config
ul_start
rc=0; out=$(ctl fleet status 2>&1) || rc=$?
expect_eq "store = lmdb: fleet status exits 0" 0 "$rc"
expect_eq "... backend lmdb" "lmdb" "$(echo "$out" | field backend)"
expect_contains "... and says it is not a fleet" "$out" "not a fleet"
rc=0; out=$(ctl fleet promote 2>&1) || rc=$?
expect_eq "store = lmdb: fleet promote exits 1" 1 "$rc"
expect_contains "... saying why" "$out" "not a fleet: nothing to promote"
rc=0; out=$(ctl fleet repair 2>&1) || rc=$?
expect_eq "store = lmdb: fleet repair exits 1" 1 "$rc"
ul_stop
ul_done
