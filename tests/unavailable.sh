#!/bin/sh
# S6: no helper, or a helper that never answers: PAM_AUTHINFO_UNAVAIL within
# `timeout`; a local user outside uid_min..uid_max is left to pam_unix.
. "$top_srcdir/tests/lib.sh"

ul_config "timeout = 2"

out=$(answers a@example.com pw | pam alice)
expect_contains "no helper: PAM_AUTHINFO_UNAVAIL" "$out" "auth: PAM_AUTHINFO_UNAVAIL"
expect_lacks "no helper: nothing is asked" "$out" "prompt"
out=$(pam alice -o acct </dev/null)
expect_contains "no helper: account PAM_AUTHINFO_UNAVAIL" "$out" "acct: PAM_AUTHINFO_UNAVAIL"
out=$(answers pw | pam root)
expect_contains "no helper: root (outside the range) is PAM_USER_UNKNOWN" "$out" \
	"auth: PAM_USER_UNKNOWN"

command -v python3 >/dev/null || ul_skip "python3 is needed for a silent helper"
# A "helper" that accepts and never answers.
mkdir -p "$T/run"
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(16)
open(sys.argv[2], "w").close()
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$T/run/unilogin.sock" "$T/silent.ready" &
SILENT=$!
i=0; while [ ! -e "$T/silent.ready" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
start=$(date +%s%N)
out=$(answers a@example.com pw | pam alice)
end=$(date +%s%N)
kill $SILENT; wait $SILENT 2>/dev/null || true
ms=$(( (end - start) / 1000000 ))
expect_contains "silent helper: PAM_AUTHINFO_UNAVAIL" "$out" "auth: PAM_AUTHINFO_UNAVAIL"
echo "# silent helper answered after $ms ms (timeout 2 s)"
if [ "$ms" -ge 1900 ] && [ "$ms" -le 3000 ]; then
	pass "silent helper: refused within timeout (+1 s)"
else
	fail "silent helper: took $ms ms, expected 2000..3000"
fi

ul_done
