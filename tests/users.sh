#!/bin/sh
# Unified users: password changes for every product (U4, PAM password),
# resets through the delivery command (U5), moving an email (U6), deleting
# a user (U7).
. "$top_srcdir/tests/lib.sh"
command -v oathtool >/dev/null || ul_skip "oathtool is needed for TOTP codes"

printf '#!/bin/sh\n(flock 9; { echo "$1 $2"; cat; echo "--"; } >&9) 9>>"%s/outbox"\n' "$T" >"$T/deliver"
chmod 755 "$T/deliver"
ul_config "delivery_command = $T/deliver" "lockout_attempts = 50"
ul_start
ctl product add comms >/dev/null
ctl product add sendgrid >/dev/null
sed 's/conf=/product=sendgrid conf=/' "$T/pam.d/ultest" >"$T/pam.d/sg"
sg() { user=$1; shift; "$PAMDRIVE" -d "$T/pam.d" "$@" sg "$user" 2>>"$T/pam.err" || true; }
code_for() { awk -v who="$1 $2" '$0 == who {getline; c=$0} END{print c}' "$T/outbox"; }
for u in amy bo cy; do ul_user $u@example.com; done
ul_account comms amy amy@example.com
ul_account sendgrid amysg amy@example.com
ul_totp_user amy@example.com 6
# a step once used never works again (T3): later steps use recovery codes
rec() { sed -n '/"recovery_codes"/,/]/s/^ *"\([0-9a-z-]*\)",*$/\1/p' "$T/confirm.json" | sed -n "${1}p"; }

# U4: PAM password: current credentials and code, then the new password
out=$(answers amy@example.com "$PASSWORD" "$(totp "$SECRET" 6)" 'brand new password' \
	'brand new password' | pam amy -o passwd)
expect_contains "U4: PAM asks the email" "$out" "prompt: Email: "
expect_contains "U4: ... the current password" "$out" "prompt(hidden): Current password: "
expect_contains "U4: ... the code of a two-factor user" "$out" "prompt(hidden): Verification code: "
expect_contains "U4: ... the new password twice" "$out" "prompt(hidden): Retype new password: "
expect_contains "U4: the change succeeds" "$out" "passwd: PAM_SUCCESS"
out=$(answers amy@example.com 'brand new password' "$(totp "$SECRET" 6 +30)" | sg amysg)
expect_contains "U4: the new password works on another product at once" "$out" "auth: PAM_SUCCESS"
out=$(answers amy@example.com "$PASSWORD" 000000 | pam amy)
expect_contains "U4: the old one works nowhere" "$out" "auth: PAM_AUTH_ERR"
out=$(answers amy@example.com 'wrong' 000000 | pam amy -o passwd)
expect_contains "U4: a wrong current password changes nothing" "$out" "passwd: PAM_AUTH_ERR"
out=$(answers amy@example.com 'brand new password' 000000 | pam amy -o passwd)
expect_contains "U4: a wrong code changes nothing" "$out" "passwd: PAM_AUTH_ERR"
out=$(answers amy@example.com 'brand new password' "$(rec 2)" 'xxxxxxxxx1' 'xxxxxxxxx2' | pam amy -o passwd)
expect_contains "U4: two different new passwords: told" "$out" "error: Sorry, passwords do not match."
expect_contains "U4: ... and refused" "$out" "passwd: PAM_AUTHTOK_ERR"

# use_authtok: the new password comes from an earlier module of the stack
printf 'password required %s conf=%s use_authtok\n' "$MODULE" "$T/unilogin.conf" >"$T/pam.d/authtok"
ul_account comms bo bo@example.com
out=$(answers bo@example.com "$PASSWORD" | "$PAMDRIVE" -d "$T/pam.d" -o passwd authtok bo 2>>"$T/pam.err" || true)
expect_contains "use_authtok: no earlier new password, no change" "$out" "passwd: PAM_AUTHTOK_ERR"
expect_lacks "use_authtok: ... and no new-password prompt" "$out" "New password"

# A user that is not ours (root) is left to the next modules in both
# phases; the module asks the new password for them (pam_unix gets
# use_authtok in a pam-auth-update common-password), unless an earlier
# module gave one.  tests/deb.sh changes root's password through pam_unix.
for opt in "" use_authtok; do
	printf 'password [success=ok user_unknown=ignore default=die] %s conf=%s %s\npassword required pam_permit.so\n' \
		"$MODULE" "$T/unilogin.conf" "$opt" >"$T/pam.d/others${opt:+_$opt}"
done
out=$(answers 'a new root password' 'a new root password' | "$PAMDRIVE" -d "$T/pam.d" -o passwd others root 2>>"$T/pam.err" || true)
expect_contains "not ours: the change goes on to the next module" "$out" "passwd: PAM_SUCCESS"
expect_contains "not ours: ... with the new password asked for it" "$out" "prompt(hidden): Retype new password: "
expect_lacks "not ours: ... and no email or current password asked" "$out" "Email"
out=$(answers 'a new root password' 'another one' | "$PAMDRIVE" -d "$T/pam.d" -o passwd others root 2>>"$T/pam.err" || true)
expect_contains "not ours: two different new passwords are refused" "$out" "passwd: PAM_AUTHTOK_ERR"
out=$("$PAMDRIVE" -d "$T/pam.d" -o passwd others_use_authtok root </dev/null 2>>"$T/pam.err" || true)
expect_contains "not ours, use_authtok: left to the next module" "$out" "passwd: PAM_SUCCESS"
expect_lacks "not ours, use_authtok: ... and nothing asked" "$out" "prompt"

# L1 through PAM: a legacy account changes its own password
answers 'old legacy pass' | ctl --password-stdin account add sendgrid cyold \
	--email cy@example.com --legacy-password >/dev/null
out=$(answers 'old legacy pass' 'new legacy pass' 'new legacy pass' | sg cyold -o passwd)
expect_lacks "L1: a legacy account is asked no email" "$out" "Email"
expect_contains "L1: its own password changes" "$out" "passwd: PAM_SUCCESS"
out=$(answers 'new legacy pass' | sg cyold)
expect_contains "L1: the new legacy password logs in" "$out" "auth: PAM_SUCCESS"

# unilogin passwd: email, password, code, new password (U4)
out=$(answers bo@example.com "$PASSWORD" "" 'bo new password' | self --password-stdin passwd 2>&1) && rc=0 || rc=$?
expect_eq "U4: unilogin passwd" 0 "$rc"
expect_contains "U4: ... says it is for every product" "$out" "every product"
out=$(answers bo@example.com 'bo new password' | pam bo)
expect_contains "U4: ... and the new password works" "$out" "auth: PAM_SUCCESS"

# U5: a reset code through the delivery command, no old password needed
ctl user reset bo@example.com >/dev/null
expect_contains "U5: the delivery command gets reset EMAIL" "$(cat "$T/outbox")" "reset bo@example.com"
code=$(code_for reset bo@example.com)
expect_lacks "S4: the code is not in argv" "$(grep '^reset ' "$T/outbox")" "$code"
out=$(answers "$code" 'bo reset password' | self --password-stdin reset bo@example.com 2>&1) && rc=0 || rc=$?
expect_eq "U5: the code sets a new password" 0 "$rc"
out=$(answers bo@example.com 'bo reset password' | pam bo)
expect_contains "U5: the reset password logs in" "$out" "auth: PAM_SUCCESS"
sent=$(ul_sent reset)
a=$(self reset nobody@example.com --send 2>&1)
b=$(self reset bo@example.com --send 2>&1)
expect_eq "U5: --send answers the same for unknown and known emails" \
	"$(echo "$a" | sed 's/nobody@example.com/X/')" "$(echo "$b" | sed 's/bo@example.com/X/')"
ul_wait_sent reset "$sent"            # delivery runs after the reply (S1)
expect_eq "U5: --send sent one code, for the known email only" $((sent + 1)) "$(ul_sent reset)"
expect_contains "S8: the reset is audited" "$(ctl audit)" "password_reset"

# U6: moving an email
ul_account comms cy cy@example.com
out=$(ctl user set-email amy@example.com bo@example.com 2>&1) && rc=0 || rc=$?
expect_eq "U6: another user's email is refused" 1 "$rc"
expect_contains "U6: ... saying why" "$out" "U6: bo@example.com is the email of another user"
answers 'zed legacy pass' | ctl --password-stdin account add sendgrid zedsg \
	--email zed@example.com --legacy-password >/dev/null
out=$(ctl user set-email amy@example.com zed@example.com 2>&1) && rc=0 || rc=$?
expect_contains "U6: an email an account of someone else uses is refused" "$out" \
	"U6: account zedsg of sendgrid, which amy@example.com does not own, uses zed@example.com"
ctl user set-email amy@example.com amy.new@example.com >/dev/null
out=$(answers amy@example.com 'brand new password' "$(rec 3)" | pam amy)
expect_contains "U6: the old email works until the code is entered" "$out" "auth: PAM_SUCCESS"
code=$(code_for verify amy.new@example.com)
out=$(answers "$code" "" | self --password-stdin verify amy.new@example.com 2>&1) && rc=0 || rc=$?
expect_eq "U6: the new email's code moves the user" 0 "$rc"
expect_contains "U6: its accounts move too" "$(ctl account show comms amy)" "owner: amy.new@example.com"
expect_contains "U6: ... on every product" "$(ctl account show sendgrid amysg)" "email: amy.new@example.com"
out=$(answers amy.new@example.com 'brand new password' "$RECOVERY" | pam amy)
expect_contains "U6: the new email logs in, two-factor and all" "$out" "auth: PAM_SUCCESS"
out=$(answers amy@example.com 'brand new password' 000000 | pam amy)
expect_contains "U6: the old email no longer does" "$out" "auth: PAM_AUTH_ERR"

# U7: deleting a user: its accounts become legacy with no usable password
ctl account invite comms cy bo@example.com >/dev/null
key=$(ctl --json apikey create comms cy cy@example.com | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
ctl user delete cy@example.com >/dev/null
expect_contains "U7: the account is legacy" "$(ctl account show comms cy)" "legacy: yes"
out=$(answers "$PASSWORD" | pam cy)
expect_contains "U7: ... with no usable password" "$out" "auth: PAM_AUTH_ERR"
out=$(pam cy -o acct -e UNILOGIN_EMAIL=bo@example.com </dev/null)
expect_contains "U7: its accounts' teammates lose access" "$out" "acct: PAM_PERM_DENIED"
expect_lacks "U7: its API keys end" "$(ctl apikey list cy@example.com 2>&1)" "$(echo "$key" | cut -d_ -f2)"
answers 'admin set pass' | ctl --password-stdin account passwd comms cy >/dev/null
out=$(answers 'admin set pass' | pam cy)
expect_contains "U7: an admin gives the legacy account a password" "$out" "auth: PAM_SUCCESS"
ul_done
