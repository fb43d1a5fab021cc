#!/bin/sh
# Garbage, truncated, oversized, wrong-version and malformed frames each
# close their own connection and leave the helper serving the next login.
. "$top_srcdir/tests/lib.sh"
command -v python3 >/dev/null || ul_skip "python3 is needed to send raw frames"

ul_config
ul_start
ul_user alice@example.com
ul_account comms alice alice@example.com

for kind in garbage truncated oversized version badfield unknowntype; do
	got=$(python3 "$top_srcdir/tests/rawframe.py" "$T/run/unilogin.sock" $kind)
	case $kind in
	version)
		expect_contains "$kind: a clear error, not a crash" "$got" \
			"result=-4 message=protocol version mismatch" ;;
	*)
		expect_eq "$kind: connection closed" "closed" "$got" ;;
	esac
	if kill -0 "$HELPER_PID" 2>/dev/null; then pass "$kind: helper still running"
	else fail "$kind: helper died"; fi
	out=$(answers alice@example.com "$PASSWORD" | pam alice)
	expect_contains "$kind: the next real login succeeds" "$out" "auth: PAM_SUCCESS"
done

# slowloris: a connection that sends nothing is closed after its deadline
got=$(python3 "$top_srcdir/tests/rawframe.py" "$T/run/unilogin.sock" idle)
expect_eq "idle: the helper closes a silent connection" "closed" "$got"

log=$(cat "$T/helper.log")
expect_contains "an idle connection is logged" "$log" "no complete request in 5000 ms"
expect_contains "a malformed frame is logged" "$log" "malformed"
expect_contains "an oversized frame is logged" "$log" "oversized frame"
expect_contains "a wrong version is logged" "$log" "protocol version 2"

ul_done
