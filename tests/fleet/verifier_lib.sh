# tests/fleet/verifier_lib.sh: certificates and helpers for the host <->
# verifier tests (issue 16), sourced after tests/lib.sh (and, for a fleet,
# tests/fleet/lib.sh).  Everything lives under $T/pki; the `openssl`
# command makes it: a CA, a second CA (for "another CA"), verifier
# certificates (SAN URI unilogin:verifier, IP 127.0.0.1, DNS localhost)
# and host certificates (SAN URI unilogin:product:NAME, DNS NAME).
#
#   vf_ca ca; vf_ca other
#   vf_cert ca v1 verifier          -> $T/pki/v1.pem, v1.key
#   vf_cert ca h1 product:comms     -> $T/pki/h1.pem, h1.key
#   vf_revoke ca h1                 -> $T/pki/ca.crl (a CRL of ca)

command -v openssl >/dev/null 2>&1 || ul_skip "needs openssl: apt-get install openssl"
PKI=$T/pki
mkdir -p "$PKI"
chmod 700 "$PKI"

vf_free_port() {
	FREEPORT_TAKEN=$T/ports /usr/bin/python3 "$top_srcdir/tests/freeport.py"
}

# vf_ca NAME: a CA (P-256), and an empty CRL of it.
vf_ca() {
	mkdir -p "$PKI/$1.db"
	: >"$PKI/$1.db/index.txt"
	echo 01 >"$PKI/$1.db/crlnumber"
	cat >"$PKI/$1.cnf" <<CNF
[ ca ]
default_ca = d
[ d ]
database = $PKI/$1.db/index.txt
crlnumber = $PKI/$1.db/crlnumber
default_md = sha256
default_crl_days = 2
CNF
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$PKI/$1.key" -out "$PKI/$1.pem" -days 2 \
		-subj "/CN=unilogin test CA $1" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null ||
		{ echo "openssl could not make CA $1"; exit 99; }
	vf_crl "$1"
}

vf_crl() {
	openssl ca -batch -config "$PKI/$1.cnf" -keyfile "$PKI/$1.key" \
		-cert "$PKI/$1.pem" -gencrl -out "$PKI/$1.crl.new" 2>/dev/null ||
		{ echo "openssl could not make the CRL of $1"; exit 99; }
	mv "$PKI/$1.crl.new" "$PKI/$1.crl"
}

# vf_cert CA NAME KIND: KIND is `verifier`, `product:P`, `posing:P` (a
# host's, with the verifiers' address) or `none` (no unilogin URI).
vf_cert() {
	case $3 in
	verifier) san="URI:unilogin:verifier,IP:127.0.0.1,DNS:localhost" ;;
	product:*) san="URI:unilogin:$3,DNS:$2.example.net" ;;
	# a host's certificate with the verifiers' address (to pose as one)
	posing:*) san="URI:unilogin:product:${3#posing:},IP:127.0.0.1,DNS:localhost" ;;
	none) san="DNS:$2.example.net" ;;
	esac
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' \
		"$san" >"$PKI/$2.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$PKI/$2.key" -out "$PKI/$2.csr" -subj "/CN=$2" 2>/dev/null &&
	openssl x509 -req -in "$PKI/$2.csr" -CA "$PKI/$1.pem" -CAkey "$PKI/$1.key" \
		-CAcreateserial -days 2 -out "$PKI/$2.pem" -extfile "$PKI/$2.ext" 2>/dev/null ||
		{ echo "openssl could not make the certificate $2"; exit 99; }
	chmod 600 "$PKI/$2.key"
}

# vf_revoke CA NAME: NAME's certificate on CA's CRL.
vf_revoke() {
	openssl ca -batch -config "$PKI/$1.cnf" -keyfile "$PKI/$1.key" \
		-cert "$PKI/$1.pem" -revoke "$PKI/$2.pem" 2>/dev/null ||
		{ echo "openssl could not revoke $2"; exit 99; }
	vf_crl "$1"
}

# vf_tls_lines CA NAME: the config lines of NAME's certificate.
vf_tls_lines() {
	printf '%s\n' "tls_ca = $PKI/$1.pem" "tls_cert = $PKI/$2.pem" "tls_key = $PKI/$2.key"
}

# vf_probe CA NAME HOST:PORT [N]: vprobe as NAME, trusting CA.
vf_probe() {
	"$top_builddir/tests/fleet/vprobe" "$PKI/$1.pem" "$PKI/$2.pem" "$PKI/$2.key" \
		"$3" ${4:+"$4"} 2>&1 || true
}

# vf_log_count FILE TEXT: how many lines of FILE hold TEXT.
vf_log_count() { grep -c -- "$2" "$1" 2>/dev/null || true; }

# ---- a fleet with verifiers (after tests/fleet/lib.sh) ----
#
# vf_fleet_up: the loopback fleet: providers p1, p2 as tests/fleet/lib.sh
# makes them, and replicas c1..c3 of hosts in role = host, made from
# examples/ldap/consumer-host.conf: each replicates as its host's own
# identity cn=hN,ou=hosts (added here on p1), without the secrets.  Then a
# CA, certificates for verifiers v1, v2 and hosts h1..h3 (product comms),
# and their configs under $T/NAME/.  Verifiers read and write the active
# provider p1 as helper identities (v1 as cn=host1,ou=helpers, v2 as
# host2); host hN reads its replica cN over ldapi (SASL EXTERNAL) and
# writes nowhere.
#   vf_start v1; vf_start v2; vf_start h1 ...   (v1 first: it makes keys)
#   vf_ctl NAME ARGS...  /  vf_self NAME ARGS...
vf_helpers=

vf_fleet_up() {
	trap vf_cleanup EXIT
	fleet_init
	admin_hash=$(slappasswd -s "$(fleet_secret admin)")
	for i in 1 2 3; do
		fleet_config "$FLEET_EXAMPLES/consumer-host.conf" "c$i" "$admin_hash" |
			sed -e "s|cn=web1,ou=hosts|cn=h$i,ou=hosts|" \
			    -e "s|REPLACE-WITH-THIS-HOST-PASSWORD|$(fleet_secret "h$i")|" \
			>"$FLEET_DIR/c$i/slapd.conf"
	done
	fleet_load
	fleet_start p1 p2
	{
		printf 'dn: ou=hosts,%s\nobjectClass: organizationalUnit\nou: hosts\n\n' "$FLEET_SUFFIX"
		for i in 1 2 3; do
			printf 'dn: cn=h%s,ou=hosts,%s\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: h%s\nuserPassword: %s\n\n' \
				"$i" "$FLEET_SUFFIX" "$i" "$(slappasswd -s "$(fleet_secret "h$i")")"
		done
	} | fleet_admin p1 ldapadd >/dev/null
	fleet_synced p2
	fleet_start c1 c2 c3
	fleet_synced c1 c2 c3
	vf_ca ca
	for v in v1 v2; do
		vf_cert ca "$v" verifier
		echo "$(vf_free_port)" >"$T/$v.port"
	done
	for h in h1 h2 h3; do vf_cert ca "$h" product:comms; done
	vf_conf v1 1; vf_conf v2 2
	vf_conf h1 1; vf_conf h2 2; vf_conf h3 3
}

vf_addr() { echo "127.0.0.1:$(cat "$T/$1.port")"; }

# vf_conf NAME N [KEY = VALUE]...: NAME's config (extra lines win).
vf_conf() {
	n=$1 i=$2; shift 2
	mkdir -p "$T/$n/state" "$T/$n/run"
	chmod 700 "$T/$n/state"
	{
		for line in "$@"; do echo "$line"; done
		case $n in
		v*) printf '%s\n' "role = verifier" "verifier_listen = $(vf_addr "$n")" \
			"ldap_read_uri = $(fleet_url p1)" "ldap_write_uri = $(fleet_url p1)" \
			"ldap_bind = simple" \
			"ldap_bind_dn = cn=host$i,ou=helpers,$FLEET_SUFFIX" \
			"ldap_bind_password_file = $FLEET_DIR/host$i.pw" ;;
		h*) printf '%s\n' "role = host" "verifiers = $(vf_addr v1),$(vf_addr v2)" \
			"ldap_read_uri = $(fleet_ldapi "c$i")" ;;
		esac
		printf '%s\n' "product = comms" "socket = $T/$n/run/unilogin.sock" \
			"state_dir = $T/$n/state" "kdf = 1:8" "kdf_parallel = 2" \
			"tfa_required = no" "timeout = $UL_TIMEOUT" \
			"rate_burst = 100000" "rate_per_minute = 100000" \
			"store = ldap" "ldap_base = $FLEET_SUFFIX"
		vf_tls_lines ca "$n"
	} | awk -F' = ' '!seen[$1]++' >"$T/$n/unilogin.conf"
	chmod 644 "$T/$n/unilogin.conf"
}

vf_ctl() { n=$1; shift; "$UL_BIN/uniloginctl" --config "$T/$n/unilogin.conf" "$@"; }
vf_self() { n=$1; shift; "$UL_BIN/unilogin" --config "$T/$n/unilogin.conf" "$@"; }

# vf_start NAME: NAME's unilogind; waits (bounded) until it answers.
# v2 takes v1's keys file first (copying it is how a verifier joins).
vf_start() {
	case $1 in
	v1) ;;
	v*) [ -f "$T/$1/state/keys" ] || { cp "$T/v1/state/keys" "$T/$1/state/keys"; chmod 600 "$T/$1/state/keys"; } ;;
	esac
	# UL_HELPER_WRAP: valgrind (UL_VALGRIND=1, tests/lib.sh) or another
	${UL_HELPER_WRAP:-} "$UL_BIN/unilogind" --config "$T/$1/unilogin.conf" \
		--foreground 2>>"$T/$1/log" &
	echo $! >"$T/$1/pid"
	vf_helpers="$vf_helpers $1"
	i=0
	until vf_ctl "$1" status >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -gt 2400 ] || ! kill -0 "$(cat "$T/$1/pid")" 2>/dev/null; then
			echo "$1 did not start:"; sed 's/^/#   /' "$T/$1/log"; exit 99
		fi
		sleep 0.025
	done
}

# vf_stop NAME [SIGNAL]: stops NAME's unilogind (TERM, or SIGNAL).
vf_stop() {
	[ -f "$T/$1/pid" ] || return 0
	pid=$(cat "$T/$1/pid")
	rm -f "$T/$1/pid"
	kill -CONT "$pid" 2>/dev/null || true
	kill "-${2:-TERM}" "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	# a stop must be clean (a crash at the end is a failure too)
	if [ "${2:-TERM}" = TERM ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 143 ]; then
		fail "$1's unilogind ended with status $rc"
		sed 's/^/#   /' "$T/$1/log" | tail -5
		cat "$T"/valgrind.* 2>/dev/null | sed 's/^/#   /' | head -60
	fi
}

# vf_done: stops every helper (each stop must be clean), then ul_done.
vf_done() {
	for n in $vf_helpers; do vf_stop "$n"; done
	ul_done
}

vf_cleanup() {
	for n in $vf_helpers; do vf_stop "$n"; done
	fleet_cleanup
}

# vf_pam NAME USER [pamdrive options] < answers: the real PAM stack on
# host NAME.
vf_pam() {
	n=$1 u=$2; shift 2
	mkdir -p "$T/$n/pam.d"
	for s in auth account password session; do
		echo "$s required $MODULE conf=$T/$n/unilogin.conf"
	done >"$T/$n/pam.d/ultest"
	"$PAMDRIVE" -d "$T/$n/pam.d" "$@" ultest "$u" 2>>"$T/pam.err" || true
}

# vf_user NAME EMAIL: a confirmed user with $PASSWORD, made on verifier
# NAME, and an account comms/USER (USER: the email's local part).
vf_user() {
	code=$(vf_ctl "$1" --json user add "$2" | sed -n 's/.*"confirmation_code":"\([^"]*\)".*/\1/p')
	[ -n "$code" ] || { echo "no confirmation code for $2"; exit 99; }
	answers "$code" "$PASSWORD" | vf_self "$1" --password-stdin verify "$2" >/dev/null
	vf_ctl "$1" product add comms >/dev/null 2>&1 || true
	vf_ctl "$1" account add comms "${2%%@*}" --email "$2" >/dev/null
}

# vf_totp NAME EMAIL: an authenticator app for EMAIL, enrolled on NAME and
# confirmed with the previous step's code; sets SECRET.
vf_totp() {
	vf_ctl "$1" --json tfa enroll "$2" --digits 6 >"$T/enroll.json"
	SECRET=$(sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' "$T/enroll.json")
	[ -n "$SECRET" ] || { echo "no secret for $2"; exit 99; }
	vf_ctl "$1" tfa confirm "$2" "$(totp "$SECRET" 6 -30)" >/dev/null
}
