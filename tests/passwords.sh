#!/bin/sh
# Passwords: confirmation with the first password (U2), admin set (U4),
# reset codes (U5), re-hash at a new cost (U3).
. "$top_srcdir/tests/lib.sh"

ul_config
ul_start

# U2: a second `user add` voids the first code
code1=$(ctl --json user add erin@example.com | sed -n 's/.*"confirmation_code":"\([^"]*\)".*/\1/p')
code2=$(ctl --json user add erin@example.com | sed -n 's/.*"confirmation_code":"\([^"]*\)".*/\1/p')
out=$(answers "$code1" "$PASSWORD" | self --password-stdin verify erin@example.com 2>&1) && rc=0 || rc=$?
expect_eq "U2: the old code is void" 1 "$rc"
expect_contains "U2: says the code is wrong" "$out" "wrong or has expired"
lower=$(echo "$code2" | tr 'A-Z' 'a-z' | tr -d -)
out=$(answers "$lower" "$PASSWORD" | self --password-stdin verify erin@example.com 2>&1) && rc=0 || rc=$?
expect_eq "U2/C1: the new code works, in lower case without hyphen" 0 "$rc"
out=$(answers "$code2" "$PASSWORD" | self --password-stdin verify erin@example.com 2>&1) && rc=0 || rc=$?
expect_eq "U2: a code is single-use" 1 "$rc"
out=$(ctl user add erin@example.com 2>&1) && rc=0 || rc=$?
expect_eq "U1: a confirmed email cannot be added twice" 1 "$rc"
out=$(ctl user add 'not-an-email' 2>&1) && rc=0 || rc=$?
expect_contains "U1: an address is checked" "$out" "not a valid email address"

ul_account comms erin erin@example.com
out=$(answers erin@example.com "$PASSWORD" | pam erin)
expect_contains "U2: the first password works" "$out" "auth: PAM_SUCCESS"

# U4: an admin sets a new password
answers 'second password here' | ctl --password-stdin user passwd erin@example.com >/dev/null
out=$(answers erin@example.com "$PASSWORD" 000000 | pam erin)
expect_contains "U4: the old password stops working" "$out" "auth: PAM_AUTH_ERR"
out=$(answers erin@example.com 'second password here' | pam erin)
expect_contains "U4: the new password works" "$out" "auth: PAM_SUCCESS"
out=$(answers short | ctl --password-stdin user passwd erin@example.com 2>&1) && rc=0 || rc=$?
expect_contains "a short password is refused" "$out" "at least 8 characters"
out=$(ctl --password-stdin user passwd erin@example.com 2>&1 </dev/null) && rc=0 || rc=$?
expect_eq "--password-stdin: end of input is exit 2" 2 "$rc"

# U5: reset with a code, no old password
reset=$(ctl --json user reset erin@example.com | sed -n 's/.*"reset_code":"\([^"]*\)".*/\1/p')
out=$(answers WRONG-CODE1 'third password here' | self --password-stdin reset erin@example.com 2>&1) && rc=0 || rc=$?
expect_eq "U5: a wrong reset code is refused" 1 "$rc"
out=$(answers "$reset" 'third password here' | self --password-stdin reset erin@example.com 2>&1) && rc=0 || rc=$?
expect_eq "U5: the reset code sets a new password" 0 "$rc"
out=$(answers erin@example.com 'third password here' | pam erin)
expect_contains "U5: the reset password logs in" "$out" "auth: PAM_SUCCESS"
out=$(answers "$reset" 'fourth password here' | self --password-stdin reset erin@example.com 2>&1) && rc=0 || rc=$?
expect_eq "U5: a reset code is single-use" 1 "$rc"
out=$(self reset erin@example.com --send 2>&1) && rc=0 || rc=$?
expect_contains "U5: --send needs a delivery command" "$out" "no delivery command"
expect_contains "S8: the reset is audited" "$(cat "$T/helper.log")" "password_reset ok: email=erin@example.com"

# U3: a hash made at an older cost is re-hashed at the next login
hash_params() { ul_store_attr erin@example.com uniPwHash users | grep -o 'm=[0-9]*,t=[0-9]*' | head -1; }
expect_eq "U3: hash at the configured cost 1:8" "m=8192,t=1" "$(hash_params)"
ul_stop
sed -i 's/^kdf = .*/kdf = 2:16/' "$T/unilogin.conf"
ul_start
out=$(answers erin@example.com 'third password here' | pam erin)
expect_contains "U3: login at the old cost still works" "$out" "auth: PAM_SUCCESS"
expect_eq "U3: re-hashed at the new cost 2:16" "m=16384,t=2" "$(hash_params)"
out=$(answers erin@example.com 'third password here' | pam erin)
expect_contains "U3: the new hash verifies" "$out" "auth: PAM_SUCCESS"
ul_done
