# tests/attack_lib.sh: sourced by the tests/attack_*.sh scripts after
# tests/lib.sh.  What the attacks of the "Hardening 2" issue share: the wire
# client (tests/attack_wire.py on ulwire.py) as root or as nobody, fields of
# a reply, a delivery command that can be held back, nss_wrapper, and a
# private /dev/log for what the PAM module logs.

PY=/usr/bin/python3
[ -x $PY ] || ul_skip "Debian's /usr/bin/python3 is needed for the wire client"
[ "$(id -u)" -eq 0 ] || ul_skip "needs root (the attacks run as root and as nobody)"
command -v setpriv >/dev/null || ul_skip "needs setpriv"

# the wire client where nobody can read it too
mkdir -p "$T/py"
cp "$top_srcdir/tests/ulwire.py" "$top_srcdir/tests/attack_wire.py" "$T/py/"
chmod 755 "$T/py"
chmod 644 "$T/py/ulwire.py" "$T/py/attack_wire.py"
SOCK=$T/run/unilogin.sock
# where nobody (and the other uids of an attack) write
mkdir -p "$T/world"
chmod 1777 "$T/world"

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

# wire TYPE [--escapes] < fields: one request as root; prints the reply
wire() { $PY "$T/py/attack_wire.py" call "$SOCK" "$@"; }
wire_nobody() { as_nobody $PY "$T/py/attack_wire.py" call "$SOCK" "$@"; }
# wire_repeat N TYPE / wire_burst N TYPE < fields: "result=R count" lines
wire_repeat() { $PY "$T/py/attack_wire.py" repeat "$SOCK" "$@"; }
wire_burst() { $PY "$T/py/attack_wire.py" burst "$SOCK" "$@"; }

# field NAME < reply: the first value of NAME
field() { sed -n "s/^$1=//p" | head -1; }
# counted RESULT < repeat/burst output: how many replies had that result
counted() { awk -v r="result=$1" '$1 == r {n += $2} END {print n + 0}'; }

# status_of NAME: a number of `uniloginctl --json status` (commits, kdf_runs,
# tickets); a status without it fails (99) the assignment it is used in
status_of() {
	v=$(ctl --json status | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p")
	[ -n "$v" ] || { echo "status tells no $1" >&2; return 99; }
	echo "$v"
}

# ---- a delivery command that a test can hold back ----
# It writes "KIND ADDRESS", the message and "--" to $T/outbox, as the
# other tests' delivery commands do.  While $T/gate/block exists it first
# waits for $T/gate/go (bounded: 10 s, then it writes a line "timeout KIND
# ADDRESS" to the outbox and delivers anyway).  Each run leaves a file
# $T/gate/started.KIND.PID when it begins.
ul_gated_delivery() {
	mkdir -p "$T/gate"
	chmod 755 "$T/gate"
	cat >"$T/deliver" <<EOF
#!/bin/sh
msg=\$(cat)
: >"$T/gate/started.\$1.\$\$"
if [ -e "$T/gate/block" ]; then
	i=0
	while [ ! -e "$T/gate/go" ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done
	[ -e "$T/gate/go" ] || echo "timeout \$1 \$2" >>"$T/outbox"
fi
# one delivery at a time: several finish together (a held pool let go)
(flock 9; { echo "\$1 \$2"; printf '%s\n' "\$msg"; echo "--"; } >&9) 9>>"$T/outbox"
EOF
	chmod 755 "$T/deliver"
	: >"$T/outbox"
}
gate_close() { rm -f "$T/gate/go" "$T/gate"/started.*; : >"$T/gate/block"; }
gate_open() { : >"$T/gate/go"; }
gate_reset() { rm -f "$T/gate/go" "$T/gate/block" "$T/gate"/started.*; }
gate_started() { ls "$T/gate" | grep -c "^started\.$1\." || true; }
# gate_wait_started KIND N: until N deliveries of KIND have begun (10 s)
gate_wait_started() {
	i=0
	while [ "$(gate_started "$1")" -lt "$2" ] && [ $i -lt 200 ]; do
		i=$((i + 1)); sleep 0.05
	done
}
# the last code sent for "KIND ADDRESS"
sent_code() { awk -v who="$1" '$0 == who {getline; c=$0} END{print c}' "$T/outbox"; }

# ---- NSS through nss_wrapper (tests/nss.sh) ----
WRAPPER=
for f in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do
	[ -e "$f" ] && WRAPPER=$f
done
# nss_files PASSWD GROUP CMD...: CMD sees these files as the machine's
nss_files() {
	p=$1 g=$2; shift 2
	env LD_PRELOAD="$ASAN_PRELOAD${ASAN_PRELOAD:+ }$WRAPPER" NSS_WRAPPER_PASSWD="$p" \
	    NSS_WRAPPER_GROUP="$g" "$@"
}
# nss CMD...: the machine's root, then libnss_unilogin
nss() {
	[ -f "$T/nss.passwd" ] || {
		printf 'root:x:0:0:root:/root:/bin/bash\n' >"$T/nss.passwd"
		printf 'root:x:0:\n' >"$T/nss.group"
	}
	nss_files "$T/nss.passwd" "$T/nss.group" env \
	    NSS_WRAPPER_MODULE_SO_PATH="$top_builddir/.libs/libnss_unilogin.so.2" \
	    NSS_WRAPPER_MODULE_FN_PREFIX=unilogin UNILOGIN_CONF="$T/unilogin.conf" "$@"
}

# ---- what the PAM module logs (tests/syslog.sh) ----
# syslogged CMD...: runs CMD (stdin from $T/answers, stdout to $T/cmd.out)
# with a /dev/log of its own in a private mount namespace; prints the lines
# it logged.
syslogged() {
	rm -f "$T/syslog" "$T/dev/log" "$T/listening"
	mkdir -p "$T/dev"
	for n in null zero random urandom; do touch "$T/dev/$n"; done
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
		i=0; while [ ! -e "$T/listening" ] && [ $i -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
		mount --bind "$T/dev" /dev
		"$@" <"$T/answers" >"$T/cmd.out" 2>&1
		/usr/bin/python3 -c "
import socket, sys
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b\"END-OF-TEST\", sys.argv[1])
" /dev/log
		i=0; while ! grep -q END-OF-TEST "$T/syslog" && [ $i -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
		kill $L' sh "$T" "$@"
	cat "$T/syslog"
}
