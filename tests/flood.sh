#!/bin/sh
# Floods and slow clients: 10,000 hostile connections from 4 processes at
# once (garbage, truncated, oversized and wrong-version frames, and idle
# connections that never send), as an unprivileged user so that the
# per-uid limit (64) applies.  Meanwhile real logins through PAM (pamdrive
# runs as root) must succeed within the config's `timeout`; the helper stays
# up, and its peak RSS stays under kdf_parallel x KDF memory + 64 MiB.
. "$top_srcdir/tests/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || ul_skip "Debian's /usr/bin/python3 is needed for the flood"

TIMEOUT=10 KDF_MIB=8 KDF_PARALLEL=2 TOTAL=10000 PROCS=4 HOLD=150
ul_config "timeout = $TIMEOUT" "kdf = 1:$KDF_MIB" "kdf_parallel = $KDF_PARALLEL"
ul_start
ul_user alice@example.com
ul_account comms alice alice@example.com

# the flood runs as nobody (as root) or as the caller (not root): a uid
# other than 0 either way, so the per-uid limit applies to it
cp "$top_srcdir/tests/flood.py" "$T/flood.py"
chmod 644 "$T/flood.py"
if [ "$(id -u)" -eq 0 ]; then
	RUNAS="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	who=nobody
else
	RUNAS= who=$(id -un)
fi
$RUNAS $PY "$T/flood.py" "$T/run/unilogin.sock" $TOTAL $PROCS $HOLD \
	>"$T/flood.out" 2>"$T/flood.err" &
FPID=$!
i=0
until grep -q '^started' "$T/flood.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 200 ] || { echo "the flood did not start:"; cat "$T/flood.err"; exit 99; }
	sleep 0.05
done

# real logins while the flood lasts (at least one)
ms_now() { echo $(($(date +%s%N) / 1000000)); }
logins=0 ok=0 max_ms=0 slow=0
while :; do
	t0=$(ms_now)
	out=$(answers alice@example.com "$PASSWORD" | pam alice -o auth)
	ms=$(($(ms_now) - t0))
	logins=$((logins + 1))
	case $out in
	*"auth: PAM_SUCCESS"*) ok=$((ok + 1)) ;;
	*) echo "# login $logins during the flood: $(echo "$out" | grep '^auth:') after $ms ms" ;;
	esac
	[ $ms -le $max_ms ] || max_ms=$ms
	[ $ms -lt $((TIMEOUT * 1000)) ] || slow=$((slow + 1))
	[ $logins -eq 1 ] && first_ms=$ms
	kill -0 $FPID 2>/dev/null || break
	sleep 0.2
done
wait $FPID && frc=0 || frc=$?
expect_eq "the flood script ran to its end" 0 "$frc"
[ $frc -eq 0 ] || sed 's/^/#   /' "$T/flood.err"

echo "# flood as $who: $(grep '^total' "$T/flood.out" | cut -d' ' -f2) connections"
for kind in garbage truncated oversized version idle; do
	echo "#   $kind: $(awk -v k=$kind '$1 == k {s = s " " $2 "=" $3; n += $3}
		END {print n + 0 " (" substr(s, 2) ")"}' "$T/flood.out")"
done
total=$(sed -n 's/^total //p' "$T/flood.out")
expect_eq "all $TOTAL connections were made or tried" "$TOTAL" "$total"
timeouts=$(awk '$2 == "timeout" {n += $3} END {print n + 0}' "$T/flood.out")
expect_eq "no hostile connection was left hanging (10 s without answer or close)" 0 "$timeouts"
open=$(awk '$2 == "idle-open" {n += $3} END {print n + 0}' "$T/flood.out")
expect_eq "every idle connection was closed by the helper (deadline or limit)" 0 "$open"
replies=$(awk '$1 == "version" && $2 == "reply" {n += $3} END {print n + 0}' "$T/flood.out")
[ "$replies" -gt 0 ] && pass "wrong-version frames got their answer ($replies)" ||
	fail "no wrong-version frame was answered: the flood never reached the parser"

echo "# $logins logins during the flood: $ok PAM_SUCCESS; first ${first_ms} ms, slowest $max_ms ms (timeout ${TIMEOUT} s)"
expect_eq "every login during the flood succeeded" "$logins" "$ok"
expect_eq "every login during the flood took less than timeout = $TIMEOUT s" 0 "$slow"

if kill -0 "$HELPER_PID" 2>/dev/null; then pass "the helper is still running"
else fail "the helper died during the flood"; fi
hwm=$(awk '/^VmHWM:/ {print $2}' /proc/$HELPER_PID/status)
rss=$(awk '/^VmRSS:/ {print $2}' /proc/$HELPER_PID/status)
bound=$(((KDF_PARALLEL * KDF_MIB + 64) * 1024))
echo "# helper peak RSS (VmHWM) $((hwm / 1024)) MiB ($hwm kB), now $((rss / 1024)) MiB;" \
	"bound kdf_parallel x KDF memory + 64 MiB = $((bound / 1024)) MiB"
[ "$hwm" -lt "$bound" ] && pass "peak RSS $hwm kB < $bound kB" ||
	fail "peak RSS $hwm kB is not under $bound kB"

log=$(cat "$T/helper.log")
expect_contains "the per-uid limit refused the flood's surplus" "$log" "connection limit reached"
refused=$(sed -n 's/.*connection limit reached; refused \([0-9]*\) so far.*/\1/p' "$T/helper.log" | tail -1)
seen() { grep -c "$1" "$T/helper.log" || true; }
echo "# the helper logged: $(seen 'malformed') malformed, $(seen 'oversized frame') oversized," \
	"$(seen 'protocol version [0-9]*, not') wrong-version, $(seen 'ended inside a frame') truncated," \
	"$(seen 'no complete request') idle closed at the deadline; refused at accept: at least ${refused:-0}"

# after the flood: status, and a login, at once
expect_contains "status answers after the flood" "$(ctl status)" "users: 1"
out=$(answers alice@example.com "$PASSWORD" | pam alice)
expect_contains "a login after the flood succeeds" "$out" "auth: PAM_SUCCESS"
ul_done
