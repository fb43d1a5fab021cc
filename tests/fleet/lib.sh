# tests/fleet/lib.sh: a fleet on loopback, sourced by the fleet tests after
# tests/lib.sh.  Two providers in mirror mode (p1 the active writer, p2 its
# mirror) and three consumers (c1..c3, one per simulated host), each a slapd
# of the test's own on a free 127.0.0.1 port and an ldapi socket under $T,
# configured from examples/ldap/ (provider.conf, consumer.conf, acl.conf,
# base.ldif, unilogin.schema) with only names, paths and passwords
# replaced, so the examples an admin follows are the ones tested.  A real
# unilogind per simulated host (h1..h4, fleet_helper_*: below) reads its
# replica and writes to p1.  Nothing outside $T is written; every helper
# and every slapd is stopped on exit.
#
#   . "$top_srcdir/tests/lib.sh"; . "$top_srcdir/tests/fleet/lib.sh"
#   fleet_init; fleet_load; fleet_start p1 p2 c1 c2 c3
#   fleet_search c2 BASE FILTER ATTR...   (as the consumer's local helper)
#   fleet_helper_start h1 h2; fleet_ctl h1 ...; fleet_pam h2 USER < answers

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
fleet_helpers=    # the hosts whose helper runs now

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
# FLEET_NOSYNC=1 (the race tests, as they use a low KDF cost): each
# database with dbnosync, its writes left to the kernel to flush; a killed
# slapd loses nothing by it, only a machine that stops would.
fleet_config() {
	d=$FLEET_DIR/$2
	sed -e "s|/etc/ldap/schema/unilogin.schema|$FLEET_EXAMPLES/unilogin.schema|" \
	    -e "s|/etc/ldap/unilogin-acl.conf|$FLEET_EXAMPLES/acl.conf|" \
	    -e "s|/run/slapd/unilogin|$d/run/slapd|" \
	    -e "s|/var/lib/ldap/unilogin|$d/db|" ${FLEET_NOSYNC:+-e "s|^maxsize .*|&\ndbnosync|"} \
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
	[ -z "$fleet_helpers" ] || fleet_helper_stop $fleet_helpers
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

# ---- a helper per simulated host ----
#
# Host hN (h1..h4) is a machine of the fleet with its own unilogind: its
# own socket, state_dir, config and PAM service under $FLEET_DIR/hN,
# reading its replica (h1..h3: c1..c3; h4 is a second helper on c1's
# machine) and writing to p1, bound as cn=hostK (K its replica's number).
# Every helper holds the fleet's one `keys` file: the first to start makes
# it, and it is copied (0600) into each other host's state_dir before that
# one starts, as an admin copies it to a host that joins.
#
#   fleet_helper_config h2 "lockout_attempts = 5"    (optional)
#   fleet_helper_start h1 h2 h3
#   fleet_ctl h2 user show a@example.com
#   answers ... | fleet_pam h3 USER
#   fleet_helper_stop h1 h2 h3

fleet_helper_dir() { echo "$FLEET_DIR/$1"; }
fleet_helper_socket() { echo "$FLEET_DIR/$1/run/unilogin.sock"; }
fleet_helper_conf() { echo "$FLEET_DIR/$1/unilogin.conf"; }
fleet_host_replica() { _fk=${1#h}; echo "c$(( (_fk - 1) % 3 + 1 ))"; }

# fleet_helper_config HOST [KEY = VALUE]...: HOST's unilogin.conf and PAM
# service; the lines given replace the defaults of the same keys.  The one
# place where a host's helper is configured (how it reaches the directory,
# or later a verifier): the tests only start, stop and talk to it.  The
# KDF is the lowest there is (1 pass, 1 MiB: tests/lib.sh has 8 MiB): the
# race tests log in thousands of times, and 8 MiB a login was most of the
# helpers' time.
fleet_helper_config() {
	_fh=$1; shift
	_fd=$FLEET_DIR/$_fh
	_fc=$(fleet_host_replica "$_fh")
	mkdir -p "$_fd/run" "$_fd/pam.d"
	chmod 700 "$_fd"
	{
		for _fline in "$@"; do echo "$_fline"; done
		for _fline in "product = comms" "socket = $_fd/run/unilogin.sock" \
		    "state_dir = $_fd/state" "kdf = 1:1" "kdf_parallel = 2" \
		    "tfa_required = no" "timeout = $UL_TIMEOUT" \
		    "rate_burst = 100000" "rate_per_minute = 100000" \
		    "store = ldap" "ldap_read_uri = $(fleet_ldapi "$_fc")" \
		    "ldap_write_uri = $(fleet_url p1)" "ldap_base = $FLEET_SUFFIX" \
		    "ldap_bind = simple" \
		    "ldap_bind_dn = cn=host${_fc#c},ou=helpers,$FLEET_SUFFIX" \
		    "ldap_bind_password_file = $FLEET_DIR/host${_fc#c}.pw" \
		    "ldap_timeout = 1"; do
			_fkey=${_fline%% =*}
			case " $* " in *" $_fkey = "*) ;; *) echo "$_fline" ;; esac
		done
	} >"$_fd/unilogin.conf"
	chmod 644 "$_fd/unilogin.conf"
	for _fop in auth account password session; do
		echo "$_fop required $MODULE conf=$_fd/unilogin.conf"
	done >"$_fd/pam.d/ultest"
}

fleet_ctl() { _fh=$1; shift; "$UL_BIN/uniloginctl" --config "$FLEET_DIR/$_fh/unilogin.conf" "$@"; }

# fleet_pam HOST USER [pamdrive options] < answers: a login on HOST through
# the real libpam, as tests/lib.sh's pam.
fleet_pam() {
	_fh=$1 _fuser=$2; shift 2
	"$PAMDRIVE" -d "$FLEET_DIR/$_fh/pam.d" "$@" ultest "$_fuser" 2>>"$FLEET_DIR/$_fh/pam.err" || true
}

# fleet_helper_start HOST...: each helper (configured with the defaults
# unless fleet_helper_config came first), one after the other, each
# waited for until it answers `status` (bounded: 30 s).
fleet_helper_start() {
	for _fh in "$@"; do
		_fd=$FLEET_DIR/$_fh
		[ -f "$_fd/unilogin.conf" ] || fleet_helper_config "$_fh"
		mkdir -p -m 700 "$_fd/state"
		if [ -f "$FLEET_DIR/keys" ] && [ ! -f "$_fd/state/keys" ]; then
			cp "$FLEET_DIR/keys" "$_fd/state/keys"
			chmod 600 "$_fd/state/keys"
		fi
		${UL_HELPER_WRAP:-} "$UL_BIN/unilogind" --config "$_fd/unilogin.conf" \
			--foreground 2>>"$_fd/helper.log" &
		echo $! >"$_fd/helper.pid"
		fleet_helpers="$fleet_helpers $_fh"
		_fi=0
		until fleet_ctl "$_fh" status >/dev/null 2>&1; do
			_fi=$((_fi + 1))
			if [ "$_fi" -gt 600 ] || ! kill -0 "$(cat "$_fd/helper.pid")" 2>/dev/null; then
				echo "the helper of $_fh did not start:"; sed 's/^/#   /' "$_fd/helper.log"
				exit 99
			fi
			sleep 0.05
		done
		[ -f "$FLEET_DIR/keys" ] || cp -p "$_fd/state/keys" "$FLEET_DIR/keys"
	done
}

# fleet_helper_stop HOST...: TERM, then how it ended (a crash, or an error
# valgrind found, fails the test).
fleet_helper_stop() {
	for _fh in "$@"; do
		_fd=$FLEET_DIR/$_fh
		[ -f "$_fd/helper.pid" ] || continue
		_fpid=$(cat "$_fd/helper.pid")
		rm -f "$_fd/helper.pid"
		kill -TERM "$_fpid" 2>/dev/null || true
		_frc=0
		wait "$_fpid" 2>/dev/null || _frc=$?
		_fleft=
		for _fo in $fleet_helpers; do [ "$_fo" = "$_fh" ] || _fleft="$_fleft $_fo"; done
		fleet_helpers=$_fleft
		if [ "$_frc" -ne 0 ] && [ "$_frc" -ne 143 ]; then
			fail "the helper of $_fh ended with status $_frc"
			sed 's/^/#   /' "$_fd/helper.log" | tail -20
		fi
	done
}
