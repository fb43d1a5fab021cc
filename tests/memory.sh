#!/bin/sh
# S4 as far as a test can see it (needs root):
#  * after logins (right password, wrong password, a TOTP code), an admin
#    password change and a self-service password change have been answered,
#    no password, code or TOTP seed is left in the helper's memory: every
#    readable mapping is read through /proc/PID/maps + /proc/PID/mem and
#    searched (a string the helper must hold is searched as a control);
#  * no secret is in the command line (ps -o args) of the helper or of our
#    tools while they wait for one;
#  * the helper is not dumpable (PR_SET_DUMPABLE 0, helper/main.c): checked
#    on a second helper run as nobody, because /proc/PID/* of a process that
#    is not dumpable is owned by root:root (proc(5)), while a dumpable
#    process of nobody (the control) has them owned by nobody; and nobody
#    cannot read the helper's /proc/PID/environ or list /proc/PID/fd.
. "$top_srcdir/tests/lib.sh"
ul_no_sanitizers "a scan of memory (ASan shadow regions are terabytes)"
[ "$(id -u)" -eq 0 ] || ul_skip "root is needed to read the helper's memory"
command -v oathtool >/dev/null || ul_skip "oathtool is needed for TOTP codes"
PY=/usr/bin/python3
[ -x $PY ] || ul_skip "Debian's /usr/bin/python3 is needed"

PW='Mem-Probe-Pw-7f3a9c1e5d'
NEWPW='Mem-Probe-New-2b8d4e60aa'
SELFPW='Mem-Probe-Self-48cc01b7'
TYPO='Mem-Probe-Typo-91c5ee02'
LEGACYPW='Mem-Probe-Legacy-0d9e3f'

ul_config
ul_start
ul_user alice@example.com "$PW"
ul_account comms alice alice@example.com
ul_user tess@example.com "$PW"
ul_account comms tess tess@example.com
ul_totp_user tess@example.com 8
echo "$LEGACYPW" | ctl --password-stdin account add comms dave --email dave@example.com \
	--legacy-password >/dev/null

# -- the secrets pass through the helper
out=$(answers alice@example.com "$PW" | pam alice)
expect_contains "a login with the probe password" "$out" "auth: PAM_SUCCESS"
out=$(answers alice@example.com "$TYPO" 00000000 | pam alice)
expect_contains "a login with a wrong password" "$out" "auth: PAM_AUTH_ERR"
CODE=$(totp "$SECRET" 8)
out=$(answers tess@example.com "$PW" "$CODE" | pam tess)
expect_contains "a login with a TOTP code" "$out" "auth: PAM_SUCCESS"
out=$(answers "$LEGACYPW" | pam dave)
expect_contains "a legacy login" "$out" "auth: PAM_SUCCESS"

# an admin password change, seen in ps while the tool waits for it
mkfifo "$T/in"
"$UL_BIN/uniloginctl" --config "$T/unilogin.conf" --password-stdin user passwd alice@example.com \
	<"$T/in" >"$T/passwd.out" 2>&1 &
TOOL=$!
exec 3>"$T/in"
sleep 0.2
args_tool=$(ps -o args= -p $TOOL || true)
args_all=$(ps -eo args)
answers "$NEWPW" >&3
exec 3>&-
wait $TOOL && st=0 || st=$?
expect_eq "user passwd with the password on stdin" 0 "$st"
out=$(answers alice@example.com "$NEWPW" | pam alice)
expect_contains "a login with the new password" "$out" "auth: PAM_SUCCESS"
# a self-service change: email, old password, no code, new password on stdin
answers alice@example.com "$NEWPW" "" "$SELFPW" | self --password-stdin passwd >/dev/null 2>&1 &&
	st=0 || st=$?
expect_eq "a self-service password change" 0 "$st"
out=$(answers alice@example.com "$SELFPW" | pam alice)
expect_contains "a login with the self-service password" "$out" "auth: PAM_SUCCESS"

HPID=$HELPER_PID
args_helper=$(ps -o args= -p $HPID)
for s in "$PW" "$NEWPW" "$SELFPW" "$TYPO" "$CODE" "$SECRET" "$LEGACYPW"; do
	expect_lacks "S4: no secret in the helper's command line" "$args_helper" "$s"
	expect_lacks "S4: no secret in the waiting tool's command line" "$args_tool" "$s"
	expect_lacks "S4: no secret in any command line while the tool waits" "$args_all" "$s"
done
expect_contains "the waiting tool was seen in ps" "$args_tool" "uniloginctl"
[ -n "$args_tool" ] && pass "the waiting tool was seen in ps ($args_tool)" ||
	fail "the waiting tool was not seen in ps"

# -- the helper's memory, after every request was answered
cat >"$T/memscan.py" <<'PY'
"""memscan.py PID NAME=HEX...: reads every readable mapping of PID through
/proc/PID/maps and /proc/PID/mem and prints, for each needle,
"NAME COUNT REGION..." (the regions where it was found), then
"scanned BYTES in N regions (SKIPPED bytes unreadable)"."""
import os, sys

pid = int(sys.argv[1])
needles = [(a.split("=", 1)[0], bytes.fromhex(a.split("=", 1)[1])) for a in sys.argv[2:]]
hits = {n: [] for n, _ in needles}
scanned = skipped = regions = 0
CHUNK = 1 << 20
overlap = max(len(b) for _, b in needles) - 1
with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
    for line in maps:
        f = line.split()
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        perms, offset, path = f[1], int(f[2], 16), f[5] if len(f) > 5 else "[anon]"
        if perms[0] != "r" or path == "[vvar]":
            continue
        # a file mapping that is shared or read-only holds no more than the
        # file (the 8 GiB LMDB map is mostly beyond data.mdb's end)
        if path.startswith("/") and (perms[3] == "s" or perms[1] != "w"):
            try:
                size = os.stat(path.replace(" (deleted)", "")).st_size
                hi = min(hi, lo + max(0, size - offset))
            except OSError:
                pass
        regions += 1
        prev = b""
        for a in range(lo, hi, CHUNK):
            n = min(CHUNK, hi - a)
            try:
                mem.seek(a)
                data = mem.read(n)
            except OSError:
                skipped += n
                prev = b""
                continue
            scanned += len(data)
            buf = prev + data
            for name, b in needles:
                i = buf.find(b)
                while i >= 0:
                    hits[name].append("%s@%x" % (path, a - len(prev) + i))
                    i = buf.find(b, i + 1)
            prev = data[-overlap:] if overlap > 0 else b""
for name, _ in needles:
    print(name, len(hits[name]), " ".join(sorted(set(h.split("@")[0] for h in hits[name]))))
print("scanned %d bytes in %d regions (%d bytes unreadable)" % (scanned, regions, skipped))
PY
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
seedhex=$($PY -c 'import base64,sys; s=sys.argv[1]; print(base64.b32decode(s + "=" * (-len(s) % 8)).hex())' "$SECRET")
$PY "$T/memscan.py" $HPID control="$(hex "$T/state")" \
	password="$(hex "$PW")" new_password="$(hex "$NEWPW")" self_password="$(hex "$SELFPW")" \
	wrong_password="$(hex "$TYPO")" legacy_password="$(hex "$LEGACYPW")" \
	totp_code="$(hex "$CODE")" seed_raw="$seedhex" seed_base32="$(hex "$SECRET")" \
	>"$T/scan.out" 2>"$T/scan.err" || { echo "the memory scan failed:"; cat "$T/scan.err"; exit 99; }
echo "# helper memory: $(tail -1 "$T/scan.out")"
sed '$d' "$T/scan.out" | sed 's/^/#   found: /'
hits() { awk -v n="$1" '$1 == n {print $2}' "$T/scan.out"; }
[ "$(hits control)" -gt 0 ] && pass "control: the scan finds the state_dir path the helper holds" ||
	fail "control: the scan does not find the state_dir path: the scan is blind"
expect_eq "S4: the password of the last logins is not in the helper's memory" 0 "$(hits password)"
expect_eq "S4: the password set by user passwd is not in the helper's memory" 0 "$(hits new_password)"
expect_eq "S4: a wrong password is not in the helper's memory" 0 "$(hits wrong_password)"
expect_eq "S4: a legacy account's password is not in the helper's memory" 0 "$(hits legacy_password)"
expect_eq "S4: a self-service new password is not in the helper's memory" 0 "$(hits self_password)"
expect_eq "S4: the accepted TOTP code is not in the helper's memory" 0 "$(hits totp_code)"
expect_eq "S4: the TOTP seed (raw) is not in the helper's memory" 0 "$(hits seed_raw)"
expect_eq "S4: the TOTP seed (base32) is not in the helper's memory" 0 "$(hits seed_base32)"

# -- the KDF worker processes (helper/rules/kdf.c): every password of the
# logins and changes above was hashed or verified in one of them
workers=$(ps -o pid= --ppid $HPID | tr -d ' ')
expect_eq "the helper runs kdf_parallel (2) KDF worker processes" 2 "$(echo "$workers" | wc -l)"
for w in $workers; do
	expect_contains "worker $w: its command line" "$(ps -o args= -p "$w")" "--kdf-worker"
	$PY "$T/memscan.py" "$w" control="$(hex "--kdf-worker")" \
		password="$(hex "$PW")" new_password="$(hex "$NEWPW")" self_password="$(hex "$SELFPW")" \
		wrong_password="$(hex "$TYPO")" legacy_password="$(hex "$LEGACYPW")" \
		>"$T/scanw.out" 2>"$T/scanw.err" || { echo "the memory scan failed:"; cat "$T/scanw.err"; exit 99; }
	echo "# KDF worker $w memory: $(tail -1 "$T/scanw.out")"
	whits() { awk -v n="$1" '$1 == n {print $2}' "$T/scanw.out"; }
	[ "$(whits control)" -gt 0 ] && pass "worker $w: control: the scan finds its argv" ||
		fail "worker $w: control: the scan does not find its argv: the scan is blind"
	for n in password new_password self_password wrong_password legacy_password; do
		expect_eq "S4: no $n in KDF worker $w's memory" 0 "$(whits $n)"
	done
done

# -- a request cut short: a login frame whose password arrived but whose
# last bytes never did (the client died, or a slow client hit the 5 s
# deadline).  The helper closes the connection; the password it received
# must be wiped all the same.
CUTPW='Mem-Probe-Cut-5e77a2c3f1'
$PY - "$T/run/unilogin.sock" "$CUTPW" <<'PY'
import socket, struct, sys
def field(tag, s):
    v = s.encode() + b"\0"
    return struct.pack(">HH", tag, len(v)) + v
body = (field(10, "comms") + field(12, "alice") + field(13, "alice@example.com") +
        field(100, sys.argv[2]) + field(15, "ultest"))
payload = struct.pack(">HH", 1, 3) + body          # version 1, LOGIN_BEGIN
frame = struct.pack(">I", len(payload)) + payload
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(frame[:-4])                               # the service's last bytes never come
s.shutdown(socket.SHUT_WR)
assert s.recv(100) == b""                           # the helper closed it
s.close()
PY
sleep 0.2
grep -q "ended inside a frame" "$T/helper.log" && pass "the cut request was closed by the helper" ||
	fail "the helper did not log the cut request"
$PY "$T/memscan.py" $HPID cut_password="$(hex "$CUTPW")" >"$T/scan2.out" 2>"$T/scan2.err" ||
	{ echo "the memory scan failed:"; cat "$T/scan2.err"; exit 99; }
echo "# after a cut request: $(head -1 "$T/scan2.out")"
# a frame cut short is wiped like a whole one (read_frame keeps m->len at
# the bytes received, and msg_put wipes m->len bytes)
expect_eq "S4: the password of a cut request is wiped" 0 \
	"$(awk '$1 == "cut_password" {print $2}' "$T/scan2.out")"

# -- not dumpable: a second helper, as nobody
NB=$T/nb
mkdir -p "$NB"
chown nobody:nogroup "$NB"
{
	echo "product = comms"
	echo "socket = $NB/run/unilogin.sock"
	echo "state_dir = $NB/state"
	echo "kdf = 1:8"
	echo "kdf_parallel = 1"
	echo "user = nobody"
} >"$T/nb.conf"
chmod 644 "$T/nb.conf"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$UL_BIN/unilogind" --config "$T/nb.conf" --foreground 2>>"$T/nb.log" &
NBPID=$!
setpriv --reuid=nobody --regid=nogroup --clear-groups sleep 60 &
CTLPID=$!
trap 'kill $NBPID $CTLPID 2>/dev/null || true; wait $NBPID $CTLPID 2>/dev/null || true; ul_cleanup' EXIT
i=0
while ! "$UL_BIN/uniloginctl" --config "$T/nb.conf" status >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 200 ] && kill -0 $NBPID 2>/dev/null || { echo "the helper as nobody did not start:"; cat "$T/nb.log"; exit 99; }
	sleep 0.05
done
expect_eq "the second helper runs as nobody" nobody "$(ps -o user= -p $NBPID)"
expect_eq "control: a dumpable process of nobody owns its /proc/PID/environ" \
	nobody:nogroup "$(stat -c %U:%G /proc/$CTLPID/environ)"
expect_eq "the helper (nobody) is not dumpable: its /proc/PID/environ is root:root" \
	root:root "$(stat -c %U:%G /proc/$NBPID/environ)"
expect_eq "... and so is its /proc/PID/mem" root:root "$(stat -c %U:%G /proc/$NBPID/mem)"
nb() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
nb cat /proc/$CTLPID/environ >/dev/null 2>&1 && pass "control: nobody reads its own dumpable process's environ" ||
	fail "control: nobody cannot read its own process's environ"
nb cat /proc/$NBPID/environ >/dev/null 2>&1 && fail "nobody reads the helper's environ" ||
	pass "nobody cannot read the helper's /proc/PID/environ, though it runs as nobody"
nb ls /proc/$NBPID/fd >/dev/null 2>&1 && fail "nobody lists the helper's fds" ||
	pass "nobody cannot list the helper's /proc/PID/fd, though it runs as nobody"
ul_done
