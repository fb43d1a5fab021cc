# tests/fleet/lib.sh: a fleet on loopback, sourced by the fleet tests after
# tests/lib.sh.  Two providers in mirror mode (p1 the active writer, p2 its
# mirror) and three consumers (c1..c3, one per simulated host), each a slapd
# of the test's own on a free 127.0.0.1 port and an ldapi socket under $T,
# configured from examples/ldap/ (provider.conf, consumer.conf, acl.conf,
# base.ldif, unilogin.schema) with only names, paths and passwords
# replaced, so the examples an admin follows are the ones tested.  Nothing
# outside $T is written; every slapd is stopped on exit.
#
#   . "$top_srcdir/tests/lib.sh"; . "$top_srcdir/tests/fleet/lib.sh"
#   fleet_init; fleet_load; fleet_start p1 p2 c1 c2 c3
#   fleet_search c2 BASE FILTER ATTR...   (as the consumer's local helper)

SLAPD=$(command -v slapd || echo /usr/sbin/slapd)
[ -x "$SLAPD" ] || ul_skip "needs slapd: apt-get install slapd ldap-utils"
for tool in ldapsearch ldapadd ldapmodify slappasswd; do
	command -v "$tool" >/dev/null 2>&1 || ul_skip "needs $tool: apt-get install ldap-utils slapd"
done

FLEET_SUFFIX=dc=example,dc=net
FLEET_ADMIN=cn=admin,$FLEET_SUFFIX
FLEET_REPLICATOR=cn=replicator,$FLEET_SUFFIX
FLEET_NAMES="p1 p2 c1 c2 c3"
FLEET_EXAMPLES=$top_srcdir/examples/ldap
FLEET_DIR=$T/ldap
FLEET_TRIES=${FLEET_TRIES:-400}    # polls of 25 ms: 10 s at most
fleet_pids=

# A TCP port nothing listens on now (as tests/e2e/sshd.sh picks one).
fleet_free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# fleet_secret NAME: a password of the test's own for NAME (a file 0600).
fleet_secret() {
	[ -f "$FLEET_DIR/$1.pw" ] || {
		(umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=\n' >"$FLEET_DIR/$1.pw")
	}
	cat "$FLEET_DIR/$1.pw"
}

fleet_url() { cat "$FLEET_DIR/$1/url"; }            # ldap://127.0.0.1:PORT/
fleet_ldapi() { cat "$FLEET_DIR/$1/ldapi.url"; }        # ldapi://%2F...

# fleet_init: ports, directories and every slapd's config.
fleet_init() {
	mkdir -p "$FLEET_DIR"
	chmod 700 "$FLEET_DIR"
	for n in $FLEET_NAMES; do
		mkdir -p "$FLEET_DIR/$n/db" "$FLEET_DIR/$n/run"
		echo "ldap://127.0.0.1:$(fleet_free_port)/" >"$FLEET_DIR/$n/url"
		printf 'ldapi://%s\n' "$(printf '%s' "$FLEET_DIR/$n/sock" | sed 's|/|%2F|g')" \
			>"$FLEET_DIR/$n/ldapi.url"
	done
	admin_hash=$(slappasswd -s "$(fleet_secret admin)")
	for n in $FLEET_NAMES; do
		case $n in p*) example=provider.conf ;; *) example=consumer.conf ;; esac
		fleet_config "$FLEET_EXAMPLES/$example" "$n" "$admin_hash" \
			>"$FLEET_DIR/$n/slapd.conf"
	done
}

# fleet_config EXAMPLE NAME ROOTPW_HASH: the example with the test's names,
# paths and passwords; TLS stays out (loopback, no certificates here).
fleet_config() {
	d=$FLEET_DIR/$2
	sed -e "s|/etc/ldap/schema/unilogin.schema|$FLEET_EXAMPLES/unilogin.schema|" \
	    -e "s|/etc/ldap/unilogin-acl.conf|$FLEET_EXAMPLES/acl.conf|" \
	    -e "s|/run/slapd/unilogin|$d/run/slapd|" \
	    -e "s|/var/lib/ldap/unilogin|$d/db|" \
	    -e "s|ldap://provider1.example.net/|$(fleet_url p1)|" \
	    -e "s|ldap://provider2.example.net/|$(fleet_url p2)|" \
	    -e "s|ldap://provider.example.net/|$(fleet_url p1)|" \
	    -e "s|^rootpw .*|rootpw $3|" \
	    -e "s|REPLACE-WITH-THE-REPLICATOR-PASSWORD|$(fleet_secret replicator)|" \
	    -e "s|uidNumber=998,|uidNumber=$(id -u),|" \
	    -e '/starttls=critical/d' -e '/^TLS/d' "$1"
}

# fleet_start NAME...: starts each slapd (foreground, the test's child) and
# waits until it answers a rootDSE search on its ldapi socket.
fleet_start() {
	for n in "$@"; do
		"$SLAPD" -d "${FLEET_DEBUG:-0}" -s 0 -f "$FLEET_DIR/$n/slapd.conf" \
			-h "$(fleet_url "$n") $(fleet_ldapi "$n")" \
			>>"$FLEET_DIR/$n/log" 2>&1 &
		echo $! >"$FLEET_DIR/$n/pid"
		fleet_pids="$fleet_pids $!"
	done
	for n in "$@"; do
		i=0
		until ldapsearch -x -LLL -H "$(fleet_ldapi "$n")" -b '' -s base \
		    namingContexts >/dev/null 2>&1; do
			i=$((i + 1))
			if [ "$i" -gt "$FLEET_TRIES" ] ||
			    ! kill -0 "$(cat "$FLEET_DIR/$n/pid")" 2>/dev/null; then
				echo "slapd $n did not start:"; sed 's/^/#   /' "$FLEET_DIR/$n/log"
				exit 99
			fi
			sleep 0.025
		done
	done
}

# fleet_stop NAME...: stops each slapd (TERM, then waits for it).
fleet_stop() {
	for n in "$@"; do
		[ -f "$FLEET_DIR/$n/pid" ] || continue
		pid=$(cat "$FLEET_DIR/$n/pid")
		rm -f "$FLEET_DIR/$n/pid"
		kill -CONT "$pid" 2>/dev/null || true
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

fleet_cleanup() {
	[ ! -d "$FLEET_DIR" ] || fleet_stop $FLEET_NAMES
	ul_cleanup
}
trap fleet_cleanup EXIT

# fleet_admin NAME TOOL ARGS...: ldapadd/ldapmodify/ldapsearch as cn=admin
# on a provider.
fleet_admin() {
	n=$1 tool=$2; shift 2
	"$tool" -x -H "$(fleet_url "$n")" -D "$FLEET_ADMIN" -y "$FLEET_DIR/admin.pw" "$@"
}

# fleet_load: seeds both providers, before they start, with
# examples/ldap/base.ldif and the test's passwords (the providers' helper
# identities host1..host3 bind with fleet_secret hostN): slapadd on p1
# (serverID 1 stamps the CSNs), then p1's slapcat into p2, so the mirror
# starts equal and the replicator can bind on both at once.  Consumers
# start empty and take everything by replication.
fleet_load() {
	{
		sed -e "/^dn: cn=replicator,/,/^\$/s|^userPassword: .*|userPassword: $(slappasswd -s "$(fleet_secret replicator)")|" \
		    -e "/^dn: cn=host1,/,\$d" "$FLEET_EXAMPLES/base.ldif"
		for h in host1 host2 host3; do
			printf 'dn: cn=%s,ou=helpers,%s\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: %s\nuserPassword: %s\n\n' \
				"$h" "$FLEET_SUFFIX" "$h" "$(slappasswd -s "$(fleet_secret "$h")")"
		done
		printf 'dn: ou=readers,%s\nobjectClass: organizationalUnit\nou: readers\n' "$FLEET_SUFFIX"
	} >"$FLEET_DIR/base.ldif"
	if ! slapadd -q -S 1 -w -f "$FLEET_DIR/p1/slapd.conf" -l "$FLEET_DIR/base.ldif" \
	    >"$FLEET_DIR/load.log" 2>&1 ||
	    ! slapcat -f "$FLEET_DIR/p1/slapd.conf" -l "$FLEET_DIR/p1.ldif" >>"$FLEET_DIR/load.log" 2>&1 ||
	    ! slapadd -q -f "$FLEET_DIR/p2/slapd.conf" -l "$FLEET_DIR/p1.ldif" >>"$FLEET_DIR/load.log" 2>&1; then
		echo "seeding the providers failed:"; sed 's/^/#   /' "$FLEET_DIR/load.log"; exit 99
	fi
}

# fleet_reset: p1 and c1 again on empty databases (the same ports and
# passwords), p1 seeded as fleet_load does: a new, empty fleet.
fleet_reset() {
	fleet_stop p1 p2 c1
	for n in p1 p2 c1; do
		rm -rf "$FLEET_DIR/$n/db"
		mkdir -p "$FLEET_DIR/$n/db"
	done
	fleet_load
	fleet_start p1 c1
	fleet_synced c1
}

# fleet_search NAME BASE FILTER ATTR...: a search on NAME: on a consumer
# over its ldapi socket as the host's local helper (SASL EXTERNAL, mapped
# to cn=local-helper by consumer.conf), on a provider as cn=admin.
fleet_search() {
	n=$1 base=$2 filter=$3; shift 3
	case $n in
	p*) fleet_admin "$n" ldapsearch -LLL -o ldif-wrap=no -b "$base" "$filter" "$@" ;;
	*) ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL -H "$(fleet_ldapi "$n")" \
		-b "$base" "$filter" "$@" ;;
	esac 2>/dev/null
}

# fleet_wait NAME BASE FILTER EXPECTED ATTR: polls (bounded) until the
# search shows EXPECTED (the attribute lines, sorted); prints what it saw.
fleet_wait() {
	n=$1 base=$2 filter=$3 want=$4 attr=$5
	i=0
	while :; do
		got=$(fleet_search "$n" "$base" "$filter" "$attr" | grep -i "^$attr:" | sort || true)
		[ "$got" != "$want" ] && [ "$i" -lt "$FLEET_TRIES" ] || break
		i=$((i + 1))
		sleep 0.025
	done
	printf '%s\n' "$got"
}

# fleet_synced NAME...: waits (bounded) until each server's contextCSN of
# the suffix equals p1's: it holds everything p1 acknowledged so far.
fleet_synced() {
	want=$(fleet_search p1 "$FLEET_SUFFIX" '(objectClass=*)' -s base contextCSN | grep '^contextCSN' | sort)
	for n in "$@"; do
		i=0
		until [ "$(fleet_search "$n" "$FLEET_SUFFIX" '(objectClass=*)' -s base contextCSN |
		    grep '^contextCSN' | sort)" = "$want" ]; do
			i=$((i + 1))
			if [ "$i" -gt "$FLEET_TRIES" ]; then
				echo "$n did not catch up with p1"; exit 99
			fi
			sleep 0.025
		done
	done
}
