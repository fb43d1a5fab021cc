#!/bin/sh
# Products and accounts, rule by rule (L1-L11), through the real PAM stack.
. "$top_srcdir/tests/lib.sh"

ul_config
ul_start
ctl product add comms --display "Twilio Comms" >/dev/null
ctl product add sendgrid --display SendGrid >/dev/null
for u in ann ben cat dee; do ul_user $u@example.com; done
# a second PAM service for the sendgrid product's hosts
sed 's/conf=/product=sendgrid conf=/' "$T/pam.d/ultest" >"$T/pam.d/sg"
sg() { user=$1; shift; "$PAMDRIVE" -d "$T/pam.d" "$@" sg "$user" 2>>"$T/pam.err" || true; }
refused() { # WHAT EXPECTED-MESSAGE COMMAND...
	what=$1 msg=$2; shift 2
	out=$("$@" 2>&1) && rc=0 || rc=$?
	expect_eq "$what: refused (exit 1)" 1 "$rc"
	expect_contains "$what: says why" "$out" "$msg"
}

# L1: a legacy account logs in with its own password, Password: only
answers 'legacy password 1' | ctl --password-stdin account add sendgrid oldsg \
	--email ann@example.com --legacy-password >/dev/null
out=$(answers 'legacy password 1' | sg oldsg)
expect_contains "L1: legacy login with its own password" "$out" "auth: PAM_SUCCESS"
expect_lacks "L1: no Email: prompt for a legacy account" "$out" "Email"
out=$(answers 'wrong legacy password' | sg oldsg)
expect_contains "L1: a wrong legacy password is refused" "$out" "auth: PAM_AUTH_ERR"
expect_contains "L1: ... with the S1 message" "$out" "error: Authentication failed."
answers 'legacy password 2' | ctl --password-stdin account passwd sendgrid oldsg >/dev/null
out=$(answers 'legacy password 2' | sg oldsg)
expect_contains "L1: account passwd sets a legacy password" "$out" "auth: PAM_SUCCESS"

# L1a: an account added with an email is linked at once; --unix-user rules
ctl account add comms ann --email ann@example.com >/dev/null
out=$(ctl account show comms ann)
expect_contains "L1a: linked at once to the user with that email" "$out" "owner: ann@example.com"
refused "L1a: no such user" "there is no confirmed user zed@example.com" \
	ctl account add comms zed --email zed@example.com
out=$(ctl account add comms 'Ann Work' --email ann@example.com 2>&1) && rc=0 || rc=$?
expect_eq "L1a: a name that is not a Unix name needs --unix-user (usage: 2)" 2 "$rc"
expect_contains "L1a: ... and says so" "$out" "--unix-user is needed"

# L2: the emails must match
answers 'legacy password 3' | ctl --password-stdin account add sendgrid bensg \
	--email ben@example.com --legacy-password >/dev/null
refused "L2: a link across emails" "L2: the account's email (ben@example.com) and the user's (cat@example.com) differ: change one email first" \
	ctl account link sendgrid bensg cat@example.com

# L3: one account per product per user
ctl account link sendgrid oldsg ann@example.com >/dev/null
refused "L3: a second account of one product" "L3: ann@example.com already links account oldsg of product sendgrid" \
	ctl account add sendgrid ann2 --email ann@example.com

# L4: the account named after the email is linked first
answers 'legacy password 4' | ctl --password-stdin account add sendgrid ben@example.com \
	--unix-user benmail --email ben@example.com --legacy-password >/dev/null
refused "L4: another account first" "L4: account ben@example.com of sendgrid, named after the email, must be linked first" \
	ctl account link sendgrid bensg ben@example.com
out=$(ctl account link sendgrid ben@example.com ben@example.com 2>&1) && rc=0 || rc=$?
expect_eq "L4: the account named after the email links" 0 "$rc"

# L5: after the link the legacy password stops at once, and the email is
# the product's unique identifier
out=$(answers 'legacy password 2' | sg oldsg)
expect_contains "L5: the legacy password stops working" "$out" "prompt: Email: "
out=$(answers ann@example.com 'legacy password 2' 000000 | sg oldsg)
expect_contains "L5: ... even typed as the unified password" "$out" "auth: PAM_AUTH_ERR"
out=$(answers ann@example.com "$PASSWORD" | sg oldsg)
expect_contains "L5: the unified credentials log in" "$out" "auth: PAM_SUCCESS"
refused "L5: no new account of that product with that email" "L5: ann@example.com is the unique identifier of product sendgrid" \
	sh -c "echo 'legacy password 9' | \"$UL_BIN/uniloginctl\" --config \"$T/unilogin.conf\" --password-stdin account add sendgrid ann3 --email ann@example.com --legacy-password"
refused "L5: a linked account has no password of its own" "L5: account oldsg of sendgrid is linked" \
	sh -c "echo 'legacy password 9' | \"$UL_BIN/uniloginctl\" --config \"$T/unilogin.conf\" --password-stdin account passwd sendgrid oldsg"

# L6: the user links in one step with both credentials; all or nothing
answers 'cats own password' | ctl --password-stdin account add sendgrid catsg \
	--email cat@example.com --legacy-password >/dev/null
out=$(answers cat@example.com "$PASSWORD" "" 'not the legacy password' |
	self --password-stdin link sendgrid catsg 2>&1) && rc=0 || rc=$?
expect_eq "L6: a wrong legacy password: nothing linked" 1 "$rc"
expect_contains "L6: ... and the account stays legacy" "$(ctl account show sendgrid catsg)" "legacy: yes"
out=$(answers cat@example.com 'not the password' "" 'cats own password' |
	self --password-stdin link sendgrid catsg 2>&1) && rc=0 || rc=$?
expect_eq "L6: a wrong unified password: nothing linked" 1 "$rc"
out=$(answers cat@example.com "$PASSWORD" "" 'cats own password' |
	self --password-stdin link sendgrid catsg 2>&1) && rc=0 || rc=$?
expect_eq "L6: both credentials: linked" 0 "$rc"
expect_contains "L6: the account belongs to the user" "$(ctl account show sendgrid catsg)" \
	"owner: cat@example.com"

# L7: teammates log in with their own credentials; the role goes to the
# product; removing ends access at the next account check
ctl account invite comms ann ben@example.com --role billing >/dev/null
owner=$(answers ann@example.com "$PASSWORD" | pam ann)
mate=$(answers ben@example.com "$PASSWORD" | pam ann)
expect_contains "L7: the owner logs in" "$owner" "env: UNILOGIN_ROLE=owner"
expect_contains "L7: the teammate logs in to the same account" "$mate" "auth: PAM_SUCCESS"
expect_contains "L7: the teammate's role" "$mate" "env: UNILOGIN_ROLE=billing"
expect_contains "L7: the teammate's email" "$mate" "env: UNILOGIN_EMAIL=ben@example.com"
ctl account remove comms ann ben@example.com >/dev/null
out=$(pam ann -o acct -e UNILOGIN_EMAIL=ben@example.com </dev/null)
expect_contains "L7: a removed teammate fails the next account check" "$out" "acct: PAM_PERM_DENIED"
out=$(answers ben@example.com "$PASSWORD" 000000 | pam ann)
expect_contains "L7: ... and cannot log in" "$out" "auth: PAM_AUTH_ERR"
answers 'dee legacy pw 1' | ctl --password-stdin account add comms deeold \
	--email dee@example.com --legacy-password >/dev/null
refused "L7: invitations need a linked account" "L7: invitations need a linked account" \
	ctl account invite comms deeold ben@example.com

# L8: my accounts, with friendly names, roles and states
ctl account invite comms ann dee@example.com >/dev/null
out=$(ctl accounts ann@example.com)
expect_contains "L8: the user's accounts, with the default friendly name" "$out" \
	"Your first Twilio Comms account"
expect_contains "L8: ... of every product" "$out" "Your first SendGrid account"
out=$(ctl --json accounts dee@example.com)
expect_contains "L8: a teammate's account is listed" "$out" '"account":"ann"'
expect_contains "L8: ... with the teammate's role" "$out" '"role":"member"'
out=$(answers dee@example.com "$PASSWORD" "" | self --password-stdin --json accounts)
expect_contains "L8: unilogin accounts lists them for the user" "$out" '"state":"active"'

# L9: suspension: refused after the right password with its message
ctl account add comms sub1 --email dee@example.com --parent ann >/dev/null
ctl account suspend comms ann >/dev/null
out=$(answers ann@example.com "$PASSWORD" | pam ann)
expect_contains "L9: a suspended account is refused" "$out" "auth: PAM_AUTH_ERR"
expect_contains "L9: ... with its message" "$out" \
	"error: This account is suspended for billing and cannot be accessed."
out=$(answers ann@example.com 'wrong password' 000000 | pam ann)
expect_lacks "S2: the suspension needs the right password" "$out" "suspended"
out=$(pam ann -o acct </dev/null)
expect_contains "L9: the account phase says PAM_ACCT_EXPIRED" "$out" "acct: PAM_ACCT_EXPIRED"
out=$(answers dee@example.com "$PASSWORD" | pam sub1)
expect_contains "L9: a subuser of a suspended parent is unusable" "$out" "suspended for billing"
ctl account reinstate comms ann >/dev/null
out=$(answers ann@example.com "$PASSWORD" | pam ann)
expect_contains "L9: reinstated, it logs in again" "$out" "auth: PAM_SUCCESS"
refused "L9: subusers are one level deep" "L9: subusers are one level deep" \
	ctl account add comms sub2 --email cat@example.com --parent sub1

# L10: a ban is permanent and takes every subuser with it
key=$(ctl --json apikey create comms sub1 dee@example.com | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
ctl account ban comms ann >/dev/null
out=$(answers ann@example.com "$PASSWORD" | pam ann)
expect_contains "L10: a banned account is refused with its message" "$out" "error: This account is banned."
out=$(answers dee@example.com "$PASSWORD" | pam sub1)
expect_contains "L10: its subuser is banned too" "$out" "error: This account is banned."
refused "L10: no command lifts a ban" "L10: account ann of comms is banned" \
	ctl account reinstate comms ann
refused "L10: ... on the subuser either" "L10: account sub1 of comms is banned" \
	ctl account reinstate comms sub1
refused "L10: no new subuser of a banned account" "L10: ann is banned" \
	ctl account add comms sub3 --email cat@example.com --parent ann
sed 's/conf=/apikey conf=/' "$T/pam.d/ultest" >"$T/pam.d/ultest-key"
out=$(answers "$key" | "$PAMDRIVE" -d "$T/pam.d" ultest-key sub1 2>>"$T/pam.err" || true)
expect_contains "T8: a ban ends the account's API keys" "$out" "auth: PAM_AUTH_ERR"
expect_lacks "T8: ... they are gone from the list" "$(ctl apikey list dee@example.com)" "sub1"

# L11: sessions are recorded with open and close
ctl account add comms benc --email ben@example.com >/dev/null
answers ben@example.com "$PASSWORD" | pam benc -o auth,acct,open,close -r 192.0.2.4 -t pts/7 >/dev/null
out=$(ctl --json sessions --product comms --email ben@example.com)
expect_contains "L11: a session of the account" "$out" '"account":"benc"'
expect_contains "L11: ... who" "$out" '"email":"ben@example.com"'
expect_contains "L11: ... from where" "$out" '"rhost":"192.0.2.4"'
expect_contains "L11: ... on which terminal" "$out" '"tty":"pts/7"'
expect_contains "L11: ... with its end" "$out" '"ended"'
answers 'dee legacy pw 1' | pam deeold -o auth,acct,open >/dev/null
out=$(ctl --json sessions --account deeold)
expect_contains "L11: a legacy login's session" "$out" '"account":"deeold"'
expect_lacks "L11: an open session has no end yet" "$out" '"ended"'
out=$(ctl sessions --email nobody@example.com)
expect_lacks "L11: the filters filter" "$out" "benc"

# S8: the audit log holds the admin actions and logins, without secrets
out=$(ctl audit)
for ev in account_link account_invite account_remove account_suspend account_ban login; do
	expect_contains "S8: audit has $ev" "$out" "$ev"
done
expect_lacks "S8: no password in the audit log" "$out" "$PASSWORD"
later=$(ctl --json audit --since 2100-01-01)
expect_eq "S8: --since filters" "[]" "$(echo "$later" | tr -d ' \n')"
ul_done
