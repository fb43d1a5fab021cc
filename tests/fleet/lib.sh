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
# FLEET_VIA=verifiers (issue 16; tests/fleet/via_verifiers/ set it): the
# same fleet with every host's helper in role = host, relaying its logins
# and self-service to two verifiers v1, v2 over TLS with a certificate of
# its own; the replicas c1..c3 made from consumer-host.conf (each
# replicating as its host's identity cn=hN,ou=hosts, without the secret
# attributes).  A verifier (role = verifier, the keys) is configured as a
# host's helper of issue 15 is: store = ldap reading its own replica with
# the secrets (s1, s2: consumer.conf) and writing to p1.  A test that
# adds users or accounts does it where the host's admin writes run
# (fleet_wctl, fleet_wconf, fleet_admin_socket: the host itself, or its
# first verifier): a host in role = host makes no admin changes.
#
#   . "$top_srcdir/tests/lib.sh"; . "$top_srcdir/tests/fleet/lib.sh"
#   fleet_init; fleet_load; fleet_start p1 p2 c1 c2 c3
#   fleet_search c2 BASE FILTER ATTR...   (as the consumer's local helper)
#   fleet_helper_start h1 h2; fleet_ctl h1 ...; fleet_pam h2 USER < answers

# a build without LDAP (configure --without-ldap) has no fleet to test
grep -q '^#define UL_WITH_LDAP 1' "$top_builddir/config.h" ||
	ul_skip "unilogind built without LDAP (configure --with-ldap)"
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
fleet_verifiers=  # FLEET_VIA=verifiers: the verifiers running now
FLEET_VIA=${FLEET_VIA:-}
case $FLEET_VIA in
''|verifiers) ;;
*) echo "FLEET_VIA=$FLEET_VIA: only 'verifiers' (or nothing) is known"; exit 99 ;;
esac
# Through verifiers, four hosts' requests queue on two verifiers: in a
# sanitizer build that queue outlasts the tests' 3 s `timeout` (19 of 200
# wrong passwords raced at once were counted, then answered "outcome
# unknown" by the hosts' relays).  The bound stays a bound, only wider.
if [ "$FLEET_VIA" = verifiers ] && [ "${UL_SANITIZERS:-no}" = yes ] &&
    [ "$UL_TIMEOUT" -lt 10 ]; then
	UL_TIMEOUT=10
fi
# ... and the verifiers' own replicas s1, s2, with the secrets (consumer.conf),
# as a verifier runs next to the providers, reading its replica and
# writing to the active provider like a helper of issue 15
FLEET_REPLICAS="c1 c2 c3"   # every replica a helper reads: fleet_synced $FLEET_REPLICAS
[ "$FLEET_VIA" != verifiers ] || {
	FLEET_NAMES="$FLEET_NAMES s1 s2"
	FLEET_REPLICAS="$FLEET_REPLICAS s1 s2"
}

# A TCP port nothing is bound to now, below the ephemeral ports
# (tests/freeport.py says why).
fleet_free_port() {
	FREEPORT_TAKEN=$T/ports /usr/bin/python3 "$top_srcdir/tests/freeport.py"
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

# fleet_need_driver [totp]: skips (77) unless the wire driver can run: python3,
# root (it sends admin requests) and, with totp, liboath for its codes.
fleet_need_driver() {
	command -v python3 >/dev/null || ul_skip "python3 is needed for the driver"
	[ "${1:-}" != totp ] ||
		python3 -c 'import ctypes; ctypes.CDLL("liboath.so.0")' 2>/dev/null ||
		ul_skip "liboath.so.0 is needed for TOTP codes"
	[ "$(id -u)" -eq 0 ] || ul_skip "the driver sends admin requests: run as root"
}

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
		case $n:$FLEET_VIA in
		p*) example=provider.conf ;;
		s*) example=consumer.conf ;;
		*:verifiers) example=consumer-host.conf ;;
		*) example=consumer.conf ;;
		esac
		fleet_config "$FLEET_EXAMPLES/$example" "$n" "$admin_hash" \
			>"$FLEET_DIR/$n/slapd.conf"
		# a host replica binds as its host (cn=hN,ou=hosts, fleet_load)
		[ "$example" != consumer-host.conf ] ||
			sed -i -e "s|cn=web1,ou=hosts|cn=h${n#c},ou=hosts|" \
			    -e "s|REPLACE-WITH-THIS-HOST-PASSWORD|$(fleet_secret "h${n#c}")|" \
			    "$FLEET_DIR/$n/slapd.conf"
	done
	[ "$FLEET_VIA" != verifiers ] || fleet_via_init
}

# fleet_via_init (FLEET_VIA=verifiers): a CA, certificates for the
# verifiers v1, v2 and the hosts h1..h4 (product comms), the verifiers'
# ports (tests/fleet/verifier_lib.sh).
fleet_via_init() {
	. "$top_srcdir/tests/fleet/verifier_lib.sh"
	vf_ca ca
	for _fv in v1 v2; do
		vf_cert ca "$_fv" verifier
		mkdir -p "$FLEET_DIR/$_fv"
		fleet_free_port >"$FLEET_DIR/$_fv/port"
	done
	for _fh in h1 h2 h3 h4; do vf_cert ca "$_fh" product:comms; done
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
	[ -z "$fleet_helpers$fleet_verifiers" ] || fleet_helper_stop $fleet_helpers
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
		# FLEET_VIA=verifiers: the hosts' own identities, as which their
		# replicas replicate (consumer-host.conf, acl.conf)
		[ "$FLEET_VIA" != verifiers ] || {
			printf '\ndn: ou=hosts,%s\nobjectClass: organizationalUnit\nou: hosts\n' "$FLEET_SUFFIX"
			for i in 1 2 3; do
				printf '\ndn: cn=h%s,ou=hosts,%s\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: h%s\nuserPassword: %s\n' \
					"$i" "$FLEET_SUFFIX" "$i" "$(slappasswd -s "$(fleet_secret "h$i")")"
			done
		}
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
# or a verifier): the tests only start, stop and talk to it.  The KDF is
# the lowest there is (1 pass, 1 MiB: tests/lib.sh has 8 MiB): the race
# tests log in thousands of times, and 8 MiB a login was most of the
# helpers' time.
# FLEET_VIA=verifiers: HOST is in role = host, reading its replica (no
# secrets) and relaying to its verifiers, odd hosts to v1 first, even ones
# to v2 first; the lines given go to the verifiers' configs as well (the
# policy a login meets, lockout or window, is theirs), which take them
# when they start next (fleet_helper_start, after every host stopped).
fleet_helper_config() {
	_fh=$1; shift
	_fd=$FLEET_DIR/$_fh
	_fc=$(fleet_host_replica "$_fh")
	mkdir -p "$_fd/run" "$_fd/pam.d"
	chmod 700 "$_fd"
	if [ "$FLEET_VIA" = verifiers ]; then
		_fv=$(fleet_host_verifier "$_fh")
		_fw=v1; [ "$_fv" = v1 ] && _fw=v2
		fleet_conf_lines "$_fd" "$@" -- "role = host" \
			"verifiers = 127.0.0.1:$(cat "$FLEET_DIR/$_fv/port"),127.0.0.1:$(cat "$FLEET_DIR/$_fw/port")" \
			"ldap_read_uri = $(fleet_ldapi "$_fc")" \
			"tls_ca = $PKI/ca.pem" "tls_cert = $PKI/$_fh.pem" "tls_key = $PKI/$_fh.key"
		for _fv in v1 v2; do
			fleet_conf_lines "$FLEET_DIR/$_fv" "$@" -- "role = verifier" \
				"verifier_listen = 127.0.0.1:$(cat "$FLEET_DIR/$_fv/port")" \
				"ldap_read_uri = $(fleet_ldapi "s${_fv#v}")" "ldap_write_uri = $(fleet_url p1)" \
				"ldap_bind = simple" \
				"ldap_bind_dn = cn=host${_fv#v},ou=helpers,$FLEET_SUFFIX" \
				"ldap_bind_password_file = $FLEET_DIR/host${_fv#v}.pw" \
				"tls_ca = $PKI/ca.pem" "tls_cert = $PKI/$_fv.pem" "tls_key = $PKI/$_fv.key"
		done
	else
		fleet_conf_lines "$_fd" "$@" -- \
			"ldap_read_uri = $(fleet_ldapi "$_fc")" \
			"ldap_write_uri = $(fleet_url p1)" "ldap_bind = simple" \
			"ldap_bind_dn = cn=host${_fc#c},ou=helpers,$FLEET_SUFFIX" \
			"ldap_bind_password_file = $FLEET_DIR/host${_fc#c}.pw"
	fi
	for _fop in auth account password session; do
		echo "$_fop required $MODULE conf=$_fd/unilogin.conf"
	done >"$_fd/pam.d/ultest"
}

# fleet_conf_lines DIR LINE... -- DEFAULT...: DIR/unilogin.conf: the LINEs,
# then the DEFAULTs and the ones every helper has, each unless a LINE
# names its key.
fleet_conf_lines() {
	_fcd=$1; shift
	mkdir -p "$_fcd/run"
	chmod 700 "$_fcd"
	{
		_fgiven=
		while [ "$1" != -- ]; do
			echo "$1"; _fgiven="$_fgiven ${1%% =*} ="; shift
		done
		shift
		for _fline in "$@" "product = comms" "socket = $_fcd/run/unilogin.sock" \
		    "state_dir = $_fcd/state" "kdf = 1:1" "kdf_parallel = 2" \
		    "tfa_required = no" "timeout = $UL_TIMEOUT" \
		    "rate_burst = 100000" "rate_per_minute = 100000" \
		    "store = ldap" "ldap_base = $FLEET_SUFFIX" "ldap_timeout = 1"; do
			_fkey=${_fline%% =*}
			case "$_fgiven " in *" $_fkey = "*) ;; *) echo "$_fline" ;; esac
		done
	} >"$_fcd/unilogin.conf"
	chmod 644 "$_fcd/unilogin.conf"
}

# fleet_host_verifier HOST: HOST's first verifier (FLEET_VIA=verifiers).
fleet_host_verifier() { _fk=${1#h}; echo "v$(( (_fk - 1) % 2 + 1 ))"; }

# fleet_wconf HOST / fleet_wctl HOST ARGS... / fleet_admin_socket HOST:
# the config, uniloginctl and socket where HOST's admin writes run: HOST
# itself, or (FLEET_VIA=verifiers) its first verifier.
fleet_wconf() {
	if [ "$FLEET_VIA" = verifiers ]; then
		echo "$FLEET_DIR/$(fleet_host_verifier "$1")/unilogin.conf"
	else
		echo "$FLEET_DIR/$1/unilogin.conf"
	fi
}
fleet_wctl() { _fh=$1; shift; "$UL_BIN/uniloginctl" --config "$(fleet_wconf "$_fh")" "$@"; }
fleet_admin_socket() {
	if [ "$FLEET_VIA" = verifiers ]; then
		echo "$FLEET_DIR/$(fleet_host_verifier "$1")/run/unilogin.sock"
	else
		fleet_helper_socket "$1"
	fi
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
# waited for until it answers `status` (bounded: 30 s).  FLEET_VIA=
# verifiers: v1 and v2 first, when they do not run yet (v1 makes the keys,
# v2 gets a copy); a host gets no keys.
fleet_helper_start() {
	if [ "$FLEET_VIA" = verifiers ] && [ -z "$fleet_verifiers" ]; then
		for _fh in "$@"; do
			[ -f "$FLEET_DIR/$_fh/unilogin.conf" ] || fleet_helper_config "$_fh"
		done
		fleet_daemon_start v1 v2
	fi
	fleet_daemon_start "$@"
}

fleet_daemon_start() {
	for _fh in "$@"; do
		_fd=$FLEET_DIR/$_fh
		[ -f "$_fd/unilogin.conf" ] || fleet_helper_config "$_fh"
		mkdir -p -m 700 "$_fd/state"
		case $FLEET_VIA:$_fh in
		verifiers:h*) ;;
		*)	if [ -f "$FLEET_DIR/keys" ] && [ ! -f "$_fd/state/keys" ]; then
				cp "$FLEET_DIR/keys" "$_fd/state/keys"
				chmod 600 "$_fd/state/keys"
			fi ;;
		esac
		${UL_HELPER_WRAP:-} "$UL_BIN/unilogind" --config "$_fd/unilogin.conf" \
			--foreground 2>>"$_fd/helper.log" &
		echo $! >"$_fd/helper.pid"
		case $_fh in
		v*) fleet_verifiers="$fleet_verifiers $_fh" ;;
		*) fleet_helpers="$fleet_helpers $_fh" ;;
		esac
		_fi=0
		until fleet_ctl "$_fh" status >/dev/null 2>&1; do
			_fi=$((_fi + 1))
			if [ "$_fi" -gt 600 ] || ! kill -0 "$(cat "$_fd/helper.pid")" 2>/dev/null; then
				echo "the helper of $_fh did not start:"; sed 's/^/#   /' "$_fd/helper.log"
				exit 99
			fi
			sleep 0.05
		done
		[ -f "$FLEET_DIR/keys" ] || [ ! -f "$_fd/state/keys" ] ||
			cp -p "$_fd/state/keys" "$FLEET_DIR/keys"
	done
}

# fleet_helper_stop HOST...: TERM, then how it ended (a crash, or an error
# valgrind found, fails the test).  FLEET_VIA=verifiers: once no host
# runs, the verifiers too.
fleet_helper_stop() {
	fleet_daemon_stop "$@"
	for _fh in "$@"; do
		_fleft=
		for _fo in $fleet_helpers; do [ "$_fo" = "$_fh" ] || _fleft="$_fleft $_fo"; done
		fleet_helpers=$_fleft
	done
	if [ -z "$fleet_helpers" ] && [ -n "$fleet_verifiers" ]; then
		# shellcheck disable=SC2086
		fleet_daemon_stop $fleet_verifiers
		fleet_verifiers=
	fi
}

fleet_daemon_stop() {
	for _fh in "$@"; do
		_fd=$FLEET_DIR/$_fh
		[ -f "$_fd/helper.pid" ] || continue
		_fpid=$(cat "$_fd/helper.pid")
		rm -f "$_fd/helper.pid"
		kill -CONT "$_fpid" 2>/dev/null || true
		kill -TERM "$_fpid" 2>/dev/null || true
		_frc=0
		wait "$_fpid" 2>/dev/null || _frc=$?
		if [ "$_frc" -ne 0 ] && [ "$_frc" -ne 143 ]; then
			fail "the helper of $_fh ended with status $_frc"
			sed 's/^/#   /' "$_fd/helper.log" | tail -20
		fi
	done
}
