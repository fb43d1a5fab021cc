#!/bin/sh
# store = ldap at the helper's start, against the loopback fleet: the
# provider and the replica must answer (within ldap_timeout) and take the
# helper's bind, the base entry must be there, the helper makes its own
# entries under it (visible on every host's replica), and it refuses a
# directory newer than it knows; with all of that, it serves (F2).
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/lib.sh"

fleet_init
fleet_load
base=$FLEET_SUFFIX

# helper_config [KEY = VALUE]...: host1's helper (simple bind), with
# these lines instead of the defaults of the same keys
helper_config() {
	set -- "$@" "store = ldap" "ldap_read_uri = $(fleet_ldapi c1)" \
		"ldap_write_uri = $(fleet_url p1)" "ldap_base = $base" \
		"ldap_bind = simple" "ldap_bind_dn = cn=host1,ou=helpers,$base" \
		"ldap_bind_password_file = $FLEET_DIR/host1.pw" "ldap_timeout = 1"
	lines= seen=
	for line in "$@"; do
		key=${line%% =*}
		case " $seen " in *" $key "*) continue ;; esac
		seen="$seen $key"
		lines="$lines$line
"
	done
	old_ifs=$IFS; IFS='
'
	# shellcheck disable=SC2086
	ul_config $lines
	IFS=$old_ifs
}
# start_helper: runs it (bounded) and prints its status and last log line
start_helper() {
	: >"$T/helper.log"
	rc=0
	timeout 20 "$UL_BIN/unilogind" --config "$T/unilogin.conf" --foreground \
		2>>"$T/helper.log" || rc=$?
	echo "status $rc: $(tail -1 "$T/helper.log")"
}

# serve_helper: starts it (bounded), and once it answers `status`, says
# "served" and stops it
serve_helper() {
	: >"$T/helper.log"
	ul_start
	echo "served: $(ctl status 2>&1 | head -1)"
	ul_stop
}

helper_config
out=$(start_helper)
expect_contains "no provider: the helper stops" "$out" "status 1"
expect_contains "... and says the provider is unreachable" "$out" \
	"provider $(fleet_url p1): unreachable"

fleet_start $FLEET_NAMES
fleet_synced c1 c2 c3 p2

(umask 077; printf 'wrong-password' >"$T/wrong.pw")
helper_config "ldap_bind_password_file = $T/wrong.pw"
out=$(start_helper)
expect_contains "a wrong bind password: refused, and said so" "$out" \
	"refused the helper's bind (Invalid credentials)"
expect_lacks "the password is not in the message" "$out" "wrong-password"

cp "$FLEET_DIR/host1.pw" "$T/open.pw"; chmod 644 "$T/open.pw"
helper_config "ldap_bind_password_file = $T/open.pw"
out=$(start_helper)
expect_contains "a password file others may read is refused" "$out" \
	"must be a file of root or the helper's user, mode 0600 or 0400"

helper_config "ldap_base = dc=elsewhere,dc=net"
out=$(start_helper)
expect_contains "a base entry that is not there: said so" "$out" \
	"ldap_base dc=elsewhere,dc=net: no such entry"

helper_config
out=$(serve_helper)
echo "# $out"
expect_contains "with everything in place: the helper serves from the directory" \
	"$out" "served: "
ous=$(printf 'ou: %s\n' apikeys claims failures members meta products sshkeys users)
for n in c1 c2 c3 p2; do
	expect_eq "$n shows the helper's containers" "$ous" \
		"$(fleet_wait "$n" "$base" '(&(objectClass=organizationalUnit)(!(ou=helpers))(!(ou=readers)))' \
		    "$ous" ou)"
	expect_eq "$n shows cn=fleet with schema version 1" "uniSchemaVersion: 1" \
		"$(fleet_wait "$n" "cn=fleet,ou=meta,$base" '(objectClass=uniMeta)' \
		    'uniSchemaVersion: 1' uniSchemaVersion)"
done
out=$(serve_helper)
expect_contains "a second start finds its entries and serves again" "$out" \
	"served: "

fleet_admin p1 ldapmodify >/dev/null <<LDIF
dn: cn=fleet,ou=meta,$base
changetype: modify
replace: uniSchemaVersion
uniSchemaVersion: 2
LDIF
out=$(start_helper)
expect_contains "a directory newer than the helper: refused" "$out" \
	"schema version 2, newer than this helper knows (1): upgrade unilogind"

# a provider that hangs (SIGSTOP) answers nothing: unreachable after
# ldap_timeout, not a hung helper
kill -STOP "$(cat "$FLEET_DIR/p1/pid")"
out=$(start_helper)
kill -CONT "$(cat "$FLEET_DIR/p1/pid")"
expect_contains "a hung provider: the helper stops, unreachable" "$out" \
	"provider $(fleet_url p1): unreachable"

fleet_stop $FLEET_NAMES
ul_done
