#!/bin/sh
# S5, trust both ways: the module sends nothing -- no request at all, and so
# no secret -- to a socket that another user owns, in a directory others
# may write, or whose peer is another user.
. "$top_srcdir/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || ul_skip "needs root to play another user"
[ -x /usr/bin/python3 ] || ul_skip "needs /usr/bin/python3 for the fake helpers"

ul_config
mkdir -p "$T/evil" "$T/io"
chmod 755 "$T/evil"
chmod 1777 "$T/io"      # where the fake helpers leave what they saw

# fake PATH OWNER: a listener (run as OWNER) that writes every byte it is
# sent to $T/got; the socket file is then given to FILE_OWNER.
fake() {
	rm -f "$1" "$T/io/got" "$T/io/ready"
	setpriv --reuid="$2" --regid=nogroup --clear-groups /usr/bin/python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666); s.listen(8)
open(sys.argv[3], "w").close()
while True:
    c, _ = s.accept()
    c.settimeout(3)
    try:
        data = c.recv(65536)
    except OSError:
        data = b""
    with open(sys.argv[2], "ab") as f:
        f.write(b"connection %d bytes\n" % len(data))
    c.close()
' "$1" "$T/io/got" "$T/io/ready" &
	FAKE=$!
	i=0; while [ ! -e "$T/io/ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -z "$3" ] || chown "$3" "$1"
}
login_via() {
	sed -i "s|^socket = .*|socket = $1|" "$T/unilogin.conf"
	answers alice@example.com "$PASSWORD" 000000 | pam alice
}

# 1. the socket file belongs to another user
fake "$T/evil/sock" root nobody
out=$(login_via "$T/evil/sock")
kill $FAKE; wait $FAKE 2>/dev/null || true
expect_contains "a socket owned by nobody: refused (S6 answer)" "$out" "auth: PAM_AUTHINFO_UNAVAIL"
expect_lacks "... nothing is asked" "$out" "prompt"
expect_eq "... and nothing reaches it" "" "$(cat "$T/io/got" 2>/dev/null)"

# 2. a root-owned socket in a directory others may write (it could be swapped)
mkdir -p "$T/open"
chmod 1777 "$T/open"
fake "$T/open/sock" root ""
out=$(login_via "$T/open/sock")
kill $FAKE; wait $FAKE 2>/dev/null || true
expect_contains "a socket in a world-writable directory: refused" "$out" "auth: PAM_AUTHINFO_UNAVAIL"
expect_eq "... and nothing reaches it" "" "$(cat "$T/io/got" 2>/dev/null)"

# 3. the socket file looks right, but the process behind it is nobody: it
# binds in a directory of its own, and root moves the socket in place
mkdir -p "$T/nobodys"
chown nobody "$T/nobodys"
fake "$T/nobodys/sock" nobody ""
mv "$T/nobodys/sock" "$T/evil/sock2"
chown root "$T/evil/sock2"
out=$(login_via "$T/evil/sock2")
# the fake notes the connection once it sees the module hang up
i=0; while [ ! -s "$T/io/got" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill $FAKE; wait $FAKE 2>/dev/null || true
expect_contains "a peer that is not root or the helper user: refused" "$out" \
	"auth: PAM_AUTHINFO_UNAVAIL"
expect_eq "... it was connected to, and sent nothing" "connection 0 bytes" \
	"$(cat "$T/io/got" 2>/dev/null)"

# and the real helper, for contrast, is trusted and gets the request
sed -i "s|^socket = .*|socket = $T/run/unilogin.sock|" "$T/unilogin.conf"
ul_start
ul_user alice@example.com
ul_account comms alice alice@example.com
out=$(answers alice@example.com "$PASSWORD" | pam alice)
expect_contains "the real helper (root) is trusted" "$out" "auth: PAM_SUCCESS"
ul_done
