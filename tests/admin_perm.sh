#!/bin/sh
# S5: a caller that is not root and not in admin_group gets exit status 4
# from every admin command; status stays open to all.
. "$top_srcdir/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || ul_skip "needs root to run a command as nobody"
command -v setpriv >/dev/null || ul_skip "setpriv (util-linux) is needed"

ul_config
ul_start
ul_user alice@example.com
ul_account comms alice alice@example.com

as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$UL_BIN/uniloginctl" --config "$T/unilogin.conf" "$@"
}

out=$(as_nobody status 2>&1) && rc=0 || rc=$?
expect_eq "nobody may ask status" 0 "$rc"

while read -r cmd; do
	# shellcheck disable=SC2086
	out=$(echo 'some new password' | as_nobody --password-stdin $cmd 2>&1) && rc=0 || rc=$?
	expect_eq "nobody: uniloginctl $cmd exits 4" 4 "$rc"
	expect_contains "nobody: uniloginctl $cmd says why" "$out" "permission denied"
done <<CMDS
user add eve@example.com
user verify alice@example.com ABCDE-FGHJK
user passwd alice@example.com
user reset alice@example.com
user show alice@example.com
user list
user lock alice@example.com
user unlock alice@example.com
user delete alice@example.com
product add evil
product list
account add comms eve --email alice@example.com
account show comms alice
account list
CMDS

out=$(ctl user show alice@example.com)
expect_contains "nothing changed: alice is still there" "$out" "confirmed: yes"
expect_lacks "nothing changed: alice is not locked" "$out" "locked: yes"
ul_done
