#!/bin/sh
# S7 and S5: a user added survives SIGKILL; the store is 0700/0600; no
# password reaches any log.
. "$top_srcdir/tests/lib.sh"

ul_config
ul_start
ul_user alice@example.com
ul_account comms alice alice@example.com
ctl user add dave@example.com >/dev/null
ul_kill9
ul_start
out=$(ctl user show dave@example.com)
expect_contains "S7: a user added survives SIGKILL" "$out" "email: dave@example.com"
out=$(answers alice@example.com "$PASSWORD" | pam alice)
expect_contains "S7: logins work after the restart" "$out" "auth: PAM_SUCCESS"

mode() { stat -c %a "$1"; }
expect_eq "state_dir is 0700" 700 "$(mode "$T/state")"
expect_eq "data.mdb is 0600" 600 "$(mode "$T/state/data.mdb")"
expect_eq "lock.mdb is 0600" 600 "$(mode "$T/state/lock.mdb")"
expect_eq "keys is 0600" 600 "$(mode "$T/state/keys")"
expect_eq "the socket is 0666 (any local user may connect)" 666 "$(mode "$T/run/unilogin.sock")"

# wrong passwords too: a typo is a secret as well
answers alice@example.com 'Typo-Secret-1' 000000 | pam alice >/dev/null
answers 'Typo-Secret-2' alice@example.com 000000 | pam alice >/dev/null
logs=$(cat "$T/helper.log" "$T/pam.err" 2>/dev/null)
expect_lacks "S4: the password is in no log" "$logs" "$PASSWORD"
expect_lacks "S4: a wrong password is in no log" "$logs" "Typo-Secret-1"
expect_lacks "S4: a password typed as the email is in no log" "$logs" "Typo-Secret-2"
expect_contains "the helper logged the logins" "$logs" "login ok: email=alice@example.com"
ul_done
