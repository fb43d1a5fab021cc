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
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
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

# vf_probe_conf CA NAME: a config file for vprobe with NAME's certificate.
vf_probe_conf() {
	vf_tls_lines "$1" "$2" >"$PKI/probe-$2.conf"
	chmod 644 "$PKI/probe-$2.conf"
	echo "$PKI/probe-$2.conf"
}

# vf_probe CA NAME HOST:PORT [N]: vprobe as NAME.
vf_probe() {
	"$top_builddir/tests/fleet/vprobe" "$(vf_probe_conf "$1" "$2")" "$3" ${4:+"$4"} 2>&1 || true
}

# vf_log_count FILE TEXT: how many lines of FILE hold TEXT.
vf_log_count() { grep -c -- "$2" "$1" 2>/dev/null || true; }
