#!/bin/sh
# The module's log (pam_syslog): one line per login with the result, user,
# product, account, service and remote host, and never a secret.  The test
# gives pamdrive a /dev/log of its own in a private mount namespace (a
# small /dev with a listener's socket), so the machine's /dev is untouched.
. "$top_srcdir/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || ul_skip "needs root for a mount namespace"
[ -x /usr/bin/python3 ] || ul_skip "needs /usr/bin/python3 for the syslog listener"
command -v oathtool >/dev/null || ul_skip "needs oathtool"

ul_config "tfa_required = yes"
ul_start
ul_user kim@example.com
ul_account comms kim kim@example.com
ul_totp_user kim@example.com 6
mkdir -p "$T/dev"
for n in null zero random urandom; do touch "$T/dev/$n"; done

# logged ANSWER...: runs one login with its own /dev/log; prints the lines
logged() {
	rm -f "$T/syslog" "$T/dev/log"
	answers "$@" >"$T/answers"
	unshare -m --propagation private sh -c '
		T=$1; shift
		for n in null zero random urandom; do mount --bind /dev/$n "$T/dev/$n"; done
		/usr/bin/python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); open(sys.argv[3], \"w\").close()
with open(sys.argv[2], \"ab\", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b\"\\n\")
" "$T/dev/log" "$T/syslog" "$T/listening" &
		L=$!
		while [ ! -e "$T/listening" ]; do sleep 0.02; done
		mount --bind "$T/dev" /dev
		"$@" <"$T/answers" >/dev/null 2>&1
		# a last datagram: once it is written, every earlier one is too
		/usr/bin/python3 -c "
import socket, sys
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b\"END-OF-TEST\", sys.argv[1])
" /dev/log
		i=0; while ! grep -q END-OF-TEST "$T/syslog" && [ $i -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
		kill $L' sh "$T" "$PAMDRIVE" -d "$T/pam.d" -r 198.51.100.9 ultest kim
	rm -f "$T/listening"
	cat "$T/syslog"
}

ok=$(logged kim@example.com "$PASSWORD" "$(totp "$SECRET" 6)")
expect_contains "one line for a login that passed" "$ok" \
	"auth ok: user=kim product=comms account=kim email=kim@example.com service=ultest rhost=198.51.100.9"
bad=$(logged kim@example.com 'a wrong secret' 000000)
expect_contains "one line for a login that failed" "$bad" \
	"auth failed: user=kim product=comms account=kim email=- service=ultest rhost=198.51.100.9"
typo=$(logged 'Pass-In-Email-Field' "$PASSWORD" 000000)
all="$ok$bad$typo"
expect_eq "exactly one auth line per login" 3 "$(echo "$all" | grep -c 'auth \(ok\|failed\):')"
expect_lacks "no password in the log" "$all" "$PASSWORD"
expect_lacks "no wrong password in the log" "$all" "a wrong secret"
expect_lacks "no password typed in the email field" "$all" "Pass-In-Email-Field"
expect_lacks "no code in the log" "$all" "$(totp "$SECRET" 6)"
ul_done
