#!/bin/sh
# Host <-> verifier TLS (issue 16): TLS 1.3 only, a client certificate
# from tls_ca that names a product (SAN URI unilogin:product:NAME); no
# certificate, another CA's, one without a product, an older TLS and a
# revoked one (tls_crl, read again without a restart) are refused at the
# handshake; a host refuses a "verifier" whose certificate is no
# verifier's.  The verifier here keeps an LMDB store: TLS is all this
# tests (tests/fleet/verifier.sh runs the fleet).
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/verifier_lib.sh"

vf_ca ca
vf_ca other
vf_cert ca v1 verifier
vf_cert ca h1 product:comms
vf_cert ca h2 product:comms
vf_cert ca hn none
vf_cert other rogue product:comms
vf_cert ca fake posing:comms

# the config keys of the roles, checked before anything starts
check() { ul_config "$@"; "$UL_BIN/unilogind" --config "$T/unilogin.conf" --check-config 2>&1 || true; }
expect_contains "role = verifier needs verifier_listen" "$(check "role = verifier")" \
	"role = verifier needs verifier_listen"
expect_contains "role = verifier needs its certificate" \
	"$(check "role = verifier" "verifier_listen = 127.0.0.1:7000")" \
	"role = verifier needs tls_ca, tls_cert and tls_key"
expect_contains "role = host needs verifiers" "$(check "role = host")" \
	"role = host needs verifiers"
expect_contains "role = host needs store = ldap" \
	"$(check "role = host" "verifiers = 127.0.0.1:7000")" "role = host needs store = ldap"
expect_contains "a bad role is named" "$(check "role = both")" \
	"role: must be standalone, verifier or host"
expect_contains "verifiers must be HOST:PORT" "$(check "role = host" "verifiers = a.example.net")" \
	"verifiers: must be HOST:PORT"
expect_contains "verifier_listen takes one address" \
	"$(check "role = verifier" "verifier_listen = 127.0.0.1:1,127.0.0.1:2")" \
	"verifier_listen: must be one ADDRESS:PORT"
expect_contains "standalone takes no certificate" "$(check "tls_ca = $PKI/ca.pem")" \
	"tls_ca, tls_cert, tls_key and tls_crl go with role = host and role = verifier"
expect_contains "standalone takes no verifiers" "$(check "verifiers = 127.0.0.1:7000")" \
	"verifiers and verifier_listen go with role = host and role = verifier"

port=$(vf_free_port)
cp "$PKI/ca.crl" "$T/crl.pem"
ul_config "role = verifier" "verifier_listen = 127.0.0.1:$port" \
	"tls_ca = $PKI/ca.pem" "tls_cert = $PKI/v1.pem" "tls_key = $PKI/v1.key" \
	"tls_crl = $T/crl.pem"
ul_start
expect_contains "the verifier says where it serves hosts" "$(cat "$T/helper.log")" \
	"serving hosts on 127.0.0.1:$port (TLS 1.3)"

expect_eq "a host certificate of tls_ca: served" "result 0" \
	"$(vf_probe ca h1 "127.0.0.1:$port")"

refused() { vf_log_count "$T/helper.log" "handshake refused"; }
before=$(refused)
out=$(vf_probe ca rogue "127.0.0.1:$port")
expect_lacks "another CA's certificate: no answer" "$out" "result"
expect_eq "... refused at the handshake" "$((before + 1))" "$(refused)"

# openssl sends its certificate whatever CAs the verifier names
before=$(refused)
openssl s_client -connect "127.0.0.1:$port" -tls1_3 -CAfile "$PKI/ca.pem" \
	-cert "$PKI/rogue.pem" -key "$PKI/rogue.key" </dev/null >/dev/null 2>&1 || true
i=0; while [ "$(refused)" = "$before" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.025; done
expect_eq "another CA's certificate, sent: refused at the handshake" "$((before + 1))" "$(refused)"
expect_contains "... by the certificate's verification" "$(tail -1 "$T/helper.log")" \
	"handshake refused: Error in the certificate verification"

before=$(refused)
out=$(openssl s_client -connect "127.0.0.1:$port" -tls1_3 -CAfile "$PKI/ca.pem" \
	-verify_return_error </dev/null 2>&1 || true)
i=0; while [ "$(refused)" = "$before" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.025; done
expect_eq "no client certificate: refused at the handshake" "$((before + 1))" "$(refused)"
expect_contains "... for want of a certificate" "$(tail -1 "$T/helper.log")" \
	"Certificate is required"

before=$(refused)
out=$(openssl s_client -connect "127.0.0.1:$port" -tls1_2 -CAfile "$PKI/ca.pem" \
	-cert "$PKI/h1.pem" -key "$PKI/h1.key" </dev/null 2>&1 || true)
i=0; while [ "$(refused)" = "$before" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.025; done
expect_eq "TLS 1.2, with a good certificate: refused at the handshake" "$((before + 1))" "$(refused)"
expect_contains "... no TLS 1.2 session came up" "$out" "Cipher is (NONE)"

out=$(vf_probe ca hn "127.0.0.1:$port")
expect_lacks "a certificate that names no product: no answer" "$out" "result"
expect_contains "... and the log says why" "$(cat "$T/helper.log")" \
	"the client certificate names no product"

# tls_crl: revoke h1; the verifier reads the new CRL at the next session
vf_revoke ca h1
cp "$PKI/ca.crl" "$T/crl.pem.new"; mv "$T/crl.pem.new" "$T/crl.pem"
out=$(vf_probe ca h1 "127.0.0.1:$port")
expect_lacks "a revoked certificate (tls_crl read again): no answer" "$out" "result"
expect_contains "... and the log says revoked" "$(cat "$T/helper.log")" \
	"the client certificate is revoked (tls_crl)"
expect_contains "... the CRL was read again, no restart" "$(cat "$T/helper.log")" \
	"tls_crl $T/crl.pem: read again"
expect_eq "another host of tls_ca still served" "result 0" \
	"$(vf_probe ca h2 "127.0.0.1:$port")"

# a CRL of another CA is not taken: the last good one stays
cp "$PKI/other.crl" "$T/crl.pem.new"; mv "$T/crl.pem.new" "$T/crl.pem"
expect_eq "a CRL not signed by tls_ca: the one before stays (h2 served)" "result 0" \
	"$(vf_probe ca h2 "127.0.0.1:$port")"
expect_contains "... said so" "$(cat "$T/helper.log")" "a CRL not signed by tls_ca"
expect_lacks "... h1 stays revoked" "$(vf_probe ca h1 "127.0.0.1:$port")" "result"

# the host's side: a server with a certificate of tls_ca that is no
# verifier's (a host's) is not taken for one
fport=$(vf_free_port)
openssl s_server -accept "127.0.0.1:$fport" -tls1_3 -cert "$PKI/fake.pem" -key "$PKI/fake.key" \
	-CAfile "$PKI/ca.pem" -Verify 1 -quiet </dev/null >"$T/s_server.log" 2>&1 &
spid=$!
i=0; until (exec 3<>"/dev/tcp/127.0.0.1/$fport") 2>/dev/null || [ $i -gt 200 ]; do i=$((i + 1)); sleep 0.025; done
out=$(vf_probe ca h1 "127.0.0.1:$fport")
kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true
expect_contains "a host's certificate posing as a verifier: refused by the host" "$out" \
	"its certificate is not a verifier's"

# nothing listening: the host says so at once
dead=$(vf_free_port)
expect_contains "no verifier there: connect fails" "$(vf_probe ca h2 "127.0.0.1:$dead")" \
	"connect: 127.0.0.1:$dead: Connection refused"
ul_done
