#!/bin/sh
# SSH keys (K1): keys of unified users added, listed and removed by an
# admin and by their user (T5); hostile key lines refused with a clear
# message and nothing stored; a fingerprint is one user's; unilogin-keys
# prints the key lines of the owner and teammates (L7) only while they may
# log in (U7, L9, L10) and nothing on any error; the PAM module, given the
# key sshd accepted (SSH_AUTH_INFO_0), asks only the code; automation keys;
# keys end with user delete and follow an email move (U6).
. "$top_srcdir/tests/lib.sh"
command -v ssh-keygen >/dev/null || ul_skip "needs ssh-keygen (openssh-client)"
command -v oathtool >/dev/null || ul_skip "needs oathtool"
WIRE="/usr/bin/python3 $top_srcdir/tests/ulwire.py"
KEYS="$UL_BIN/unilogin-keys --config $T/unilogin.conf"

ul_config "ssh_service = ultest"
ul_start
for u in alice bob carol dave; do ul_user $u@example.com; done
ul_account comms alice alice@example.com
ul_account comms carol carol@example.com
ctl account invite comms alice bob@example.com >/dev/null
answers 'legacy password 1' | ctl --password-stdin account add comms leg \
	--email leg@example.com --legacy-password >/dev/null

mkdir -p "$T/k"
key() { ssh-keygen -q -t "$1" ${3:+-b "$3"} -N '' -C "$2 key" -f "$T/k/$2"; }
key ed25519 alice; key ed25519 bob; key ecdsa carol 384; key rsa dave 2048
key ed25519 alice2; key ed25519 auto; key rsa weak 1024
fp() { ssh-keygen -lf "$T/k/$1.pub" | awk '{print $2}'; }
body() { awk '{print $1" "$2}' "$T/k/$1.pub"; }
nkeys() { ctl --json sshkey list "$1" | grep -c '"fingerprint"' || true; }

# ---- adding, listing, removing (admin) ----
rc=0; out=$(ctl sshkey add alice@example.com "$T/k/alice.pub" 2>&1) || rc=$?
expect_eq "sshkey add: exit 0" 0 "$rc"
expect_contains "sshkey add: names the fingerprint ssh-keygen computes" "$out" "$(fp alice)"
rc=0; out=$(ctl --json sshkey list alice@example.com)
expect_contains "sshkey list --json: the fingerprint" "$out" "\"fingerprint\":\"$(fp alice)\""
expect_contains "sshkey list --json: the type" "$out" '"type":"ssh-ed25519"'
expect_contains "sshkey list --json: the comment" "$out" '"comment":"alice key"'
ALICE_ID=$(printf '%s' "$out" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -1)
[ -n "$ALICE_ID" ] && pass "sshkey list: each key has an id" || fail "sshkey list: no id"
ctl sshkey add bob@example.com <"$T/k/bob.pub" >/dev/null 2>&1
expect_eq "sshkey add: the key line from stdin" 1 "$(nkeys bob@example.com)"
for u in carol dave; do ctl sshkey add $u@example.com "$T/k/$u.pub" >/dev/null; done
expect_eq "sshkey add: ecdsa-384 and RSA 2048 are accepted" "1 1" \
	"$(nkeys carol@example.com) $(nkeys dave@example.com)"

rc=0; out=$(ctl sshkey add carol@example.com "$T/k/alice.pub" 2>&1) || rc=$?
expect_eq "a key belongs to one user: refused for a second user (exit 1)" 1 "$rc"
expect_contains "... with a message that says so" "$out" "belongs to a unified user already"
expect_eq "... and nothing stored for the second user" 1 "$(nkeys carol@example.com)"

rc=0; out=$(ctl sshkey remove carol@example.com "$ALICE_ID" 2>&1) || rc=$?
expect_eq "sshkey remove of another user's key: refused" 1 "$rc"
expect_contains "... as no key of that user" "$out" "has no SSH key $ALICE_ID"
expect_eq "... and the key stays" 1 "$(nkeys alice@example.com)"

# ---- hostile key lines: a clear message, nothing stored ----
hostile() { # WHAT MESSAGE: the line on stdin
	cat >"$T/hostile"
	before=$(ctl --json sshkey list dave@example.com)
	rc=0; out=$(ctl sshkey add dave@example.com "$T/hostile" 2>&1) || rc=$?
	expect_eq "hostile ($1): refused (exit 1)" 1 "$rc"
	expect_contains "hostile ($1): the message says why" "$out" "$2"
	expect_eq "hostile ($1): nothing stored" "$before" \
		"$(ctl --json sshkey list dave@example.com)"
}
printf 'command="/bin/sh" %s\n' "$(body alice2)" | hostile options "options before the key type"
printf 'no-pty,from="*" %s\n' "$(body alice2)" | hostile "options, no quotes" "options before the key type"
printf '%s\n%s\n' "$(body alice2)" "$(body auto)" | hostile "two lines" "more than one key line"
head -c 65536 /dev/zero | base64 -w0 | sed 's/^/ssh-ed25519 /' | hostile "64 KiB blob" "too long"
hostile "RSA 1024" "at least 2048 bits" <"$T/k/weak.pub"
echo 'ssh-ed25519 AAAA!!notbase64== x' | hostile "bad base64" "not valid base64"
printf 'ssh-rsa %s\n' "$(awk '{print $2}' "$T/k/alice2.pub")" | hostile "type mismatch" \
	"not of type ssh-rsa"
printf 'ssh-ed25519-cert-v01@openssh.com %s\n' "$(awk '{print $2}' "$T/k/alice2.pub")" |
	hostile certificate "certificates are not supported"
printf 'ssh-dss AAAAB3NzaC1kc3MAAACBAP\n' | hostile "DSA" "unknown key type"
printf '%s \033[31mred\n' "$(body alice2)" | hostile "control character" "control character"
# the helper judges for itself: a line break or a long line sent raw
raw() { # LINE-PYTHON-EXPR: result and message of a raw sshkey_add
	/usr/bin/python3 -c "
import sys; sys.path.insert(0, '$top_srcdir/tests'); import ulwire
key = open('$T/k/alice2.pub').read().split()
line = $1
r = ulwire.Client('$T/run/unilogin.sock').call('sshkey_add', email='dave@example.com', sshkey=line)
print(r.result, r.message)"
}
rc=0; out=$(raw "key[0] + ' ' + key[1] + '\\n' + open('$T/k/auto.pub').read().strip()")
expect_contains "helper: an embedded newline is refused (-47)" "$out" "-47 key refused: the key line holds a line break"
rc=0; out=$(raw "key[0] + ' ' + key[1] + ' ' + 'x' * 5000")
expect_contains "helper: a line over 4096 bytes is refused" "$out" "too long"
rc=0; out=$(raw "key[0] + ' ' + key[1][:-4]")
expect_contains "helper: a cut blob is refused" "$out" "-47 key refused"
expect_eq "hostile: dave still has only his own key" 1 "$(nkeys dave@example.com)"
expect_lacks "hostile: no refused key in the audit" "$(ctl audit)" "$(fp alice2)"

# ---- unilogin-keys: owner and teammates while they may log in ----
lines() { $KEYS "$1" 2>/dev/null; }
rc=0; out=$(lines alice)
expect_contains "unilogin-keys: the owner's key" "$out" "$(body alice)"
expect_contains "unilogin-keys: a teammate's key (L7)" "$out" "$(body bob)"
expect_lacks "unilogin-keys: not a key of another account's owner" "$out" "$(body carol)"
expect_eq "unilogin-keys: one line per key and nothing else" 2 "$(printf '%s\n' "$out" | wc -l)"
ssh-keygen -lf /dev/stdin <<EOF >/dev/null 2>&1 && pass "unilogin-keys: its lines read as an authorized_keys file" || fail "unilogin-keys: ssh-keygen cannot read its lines"
$out
EOF
ctl user lock bob@example.com >/dev/null
expect_lacks "unilogin-keys: none for a locked user (U7)" "$(lines alice)" "$(body bob)"
ctl user unlock bob@example.com >/dev/null
ctl account suspend comms alice >/dev/null
rc=0; out=$(lines alice) || rc=$?
expect_eq "unilogin-keys: none for a suspended account (L9)" "" "$out"
ctl account reinstate comms alice >/dev/null
expect_eq "unilogin-keys: ... back once reinstated" 2 "$(lines alice | wc -l)"
expect_eq "unilogin-keys: a legacy account has no key" "" "$(lines leg)"
rc=0; out=$($KEYS nosuchuser 2>/dev/null) || rc=$?
expect_eq "unilogin-keys: an unknown account prints nothing" "" "$out"
expect_eq "unilogin-keys: ... and exits non-zero" 1 "$rc"
rc=0; out=$($KEYS 'bad;name' 2>/dev/null) || rc=$?
expect_eq "unilogin-keys: a bad user name is a usage error, nothing printed" "2:" "$rc:$out"

# ---- the PAM module after a key sshd accepted (SSH_AUTH_INFO_0) ----
ul_totp_user alice@example.com 6
ALICE_SECRET=$SECRET ALICE_RECOVERY=$RECOVERY
INFO="SSH_AUTH_INFO_0=publickey $(body alice)"
rc=0; out=$(answers "$(totp "$ALICE_SECRET" 6)" | pam alice -e "$INFO" -r 192.0.2.7 -o auth,acct,open)
expect_lacks "key login: no Email: asked" "$out" "Email:"
expect_lacks "key login: no Password: asked" "$out" "Password:"
expect_contains "key login: only the code is asked" "$out" "prompt(hidden): Verification code:"
expect_contains "key login: succeeds" "$out" "auth: PAM_SUCCESS"
expect_contains "key login: the account check passes" "$out" "acct: PAM_SUCCESS"
expect_contains "key login: UNILOGIN_EMAIL names the key's user" "$out" "env: UNILOGIN_EMAIL=alice@example.com"
expect_contains "key login: UNILOGIN_SSHKEY names the key" "$out" "env: UNILOGIN_SSHKEY=$(fp alice)"
expect_contains "L11: the session names the key's user and fingerprint" \
	"$(ctl --json sessions --account alice)" "\"fingerprint\":\"$(fp alice)\""
expect_contains "S8: the audit names the key's fingerprint" "$(ctl audit)" "sshkey $(fp alice)"
rc=0; out=$(answers 000000 | pam alice -e "$INFO" -r 192.0.2.7)
expect_contains "key login: a wrong code is refused" "$out" "auth: PAM_AUTH_ERR"
rc=0; out=$(answers alice@example.com "$PASSWORD" "$(totp "$ALICE_SECRET" 6 30)" | pam alice -e "SSH_AUTH_INFO_0=publickey $(body carol)")
expect_contains "another account's key: the usual exchange" "$out" "prompt: Email:"
rc=0; out=$(answers bob@example.com "$PASSWORD" | pam alice -e "SSH_AUTH_INFO_0=password")
expect_contains "no key in SSH_AUTH_INFO_0: the usual exchange" "$out" "prompt: Email:"
rc=0; out=$(answers bob@example.com "$PASSWORD" "" | pam alice -e "SSH_AUTH_INFO_0=publickey $(body bob)")
expect_contains "a teammate's key: asks only the code (bob has none: tfa not required)" \
	"$out" "auth: PAM_SUCCESS"
expect_lacks "... and no Email:" "$out" "Email:"
expect_contains "... logged in as the teammate" "$out" "env: UNILOGIN_EMAIL=bob@example.com"
# as another uid than 0, SSH_AUTH_INFO_0 is not believed (the helper's
# route is uid 0 only, and the module checks too)
rc=0; out=$(answers "" | setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$PAMDRIVE" -d "$T/pam.d" -e "SSH_AUTH_INFO_0=publickey $(body bob)" ultest alice 2>&1 || true)
expect_lacks "not uid 0: the key is not believed" "$out" "auth: PAM_SUCCESS"
rc=0; out=$(echo "sshkey=$(body bob)
product=comms
unix_user=alice" | setpriv --reuid=65534 --regid=65534 --clear-groups $WIRE "$T/run/unilogin.sock" login_sshkey)
expect_contains "not uid 0: LOGIN_SSHKEY refused by the dispatch table" "$out" "result=-13"

# ---- automation keys: one account, no code, audited ----
ctl account invite comms carol alice@example.com >/dev/null
rc=0; out=$(ctl sshkey add alice@example.com "$T/k/auto.pub" --automation --account alice 2>&1) || rc=$?
expect_eq "sshkey add --automation: exit 0" 0 "$rc"
expect_contains "unilogin-keys: the automation key opens its account" "$(lines alice)" "$(body auto)"
expect_lacks "unilogin-keys: ... and not another the user may use" "$(lines carol)" "$(body auto)"
expect_contains "unilogin-keys: the user's other keys do open that one" "$(lines carol)" "$(body alice)"
rc=0; out=$(answers "$(totp "$ALICE_SECRET" 6 30)" | pam alice -e "SSH_AUTH_INFO_0=publickey $(body auto)")
expect_contains "automation key with ssh_automation_keys = no: the code is asked" \
	"$out" "Verification code:"
ul_stop
ul_config "ssh_service = ultest" "ssh_automation_keys = yes" "remember_days = 30"
ul_start
out=$(answers "$ALICE_RECOVERY" | pam alice -e "$INFO" -r 198.51.100.9)
expect_contains "key login with a recovery code from a remote host" "$out" "auth: PAM_SUCCESS"
out=$(pam alice -e "$INFO" -r 198.51.100.9 </dev/null)
expect_contains "T7: the key again from that remembered host: in" "$out" "auth: PAM_SUCCESS"
expect_lacks "T7: ... without the code" "$out" "Verification code:"
rc=0; out=$(pam alice -e "SSH_AUTH_INFO_0=publickey $(body auto)" </dev/null)
expect_contains "automation key, ssh_automation_keys = yes: in without a code" "$out" "auth: PAM_SUCCESS"
expect_lacks "... no prompt at all" "$out" "prompt"
expect_contains "... audited at its use" "$(ctl audit)" "(automation key)"
rc=0; out=$(answers bob@example.com "$PASSWORD" | pam carol -e "SSH_AUTH_INFO_0=publickey $(body auto)")
expect_lacks "automation key: not to another account" "$out" "auth: PAM_SUCCESS"
ctl account remove comms alice bob@example.com >/dev/null
expect_lacks "account remove: the teammate's key no longer opens the account" \
	"$(lines alice)" "$(body bob)"
ctl account remove comms carol alice@example.com >/dev/null
ctl account unlink comms alice >/dev/null
expect_eq "unlink: the automation key of that account ends" 1 "$(nkeys alice@example.com)"
ctl account link comms alice alice@example.com >/dev/null

# ---- teammate removal and ban end the keys' access ----
ctl account ban comms alice >/dev/null
expect_eq "ban: no key opens a banned account (L10)" "" "$(lines alice)"
rc=0; out=$(answers "$(totp "$ALICE_SECRET" 6 30)" | pam alice -e "$INFO")
expect_lacks "ban: a key login is refused" "$out" "auth: PAM_SUCCESS"

# ---- self-service: email, password and code first (T5) ----
rc=0; out=$( { answers carol@example.com "$PASSWORD" ""; cat "$T/k/alice2.pub"; } |
	self --password-stdin sshkey add 2>&1) || rc=$?
expect_eq "unilogin sshkey add: exit 0" 0 "$rc"
expect_contains "unilogin sshkey add: the fingerprint" "$out" "$(fp alice2)"
rc=0; out=$(answers carol@example.com "$PASSWORD" "" | self --password-stdin --json sshkey list)
expect_contains "unilogin sshkey list: the new key" "$out" "$(fp alice2)"
id=$(printf '%s' "$out" | grep -B3 -A3 "$(fp alice2)" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -1)
rc=0; out=$( { answers carol@example.com "wrong password"; echo ""; cat "$T/k/auto.pub"; } |
	self --password-stdin sshkey add 2>&1) || rc=$?
expect_eq "unilogin sshkey add with a wrong password: refused" 1 "$rc"
rc=0; out=$(answers carol@example.com "$PASSWORD" "" | self --password-stdin sshkey remove "$id" 2>&1)
expect_contains "unilogin sshkey remove ID" "$out" "removed"
expect_eq "... it is gone" 1 "$(nkeys carol@example.com)"

# ---- U6 and U7: keys follow an email move and end with the user ----
code=$(ctl --json user set-email dave@example.com dan@example.com |
	sed -n 's/.*"confirmation_code":"\([^"]*\)".*/\1/p')
ctl user verify dan@example.com "$code" >/dev/null
expect_eq "U6: the keys move with the user" "1" "$(nkeys dan@example.com)"
ctl user delete dan@example.com >/dev/null
rc=0; out=$(ctl sshkey add carol@example.com "$T/k/dave.pub" 2>&1) || rc=$?
expect_eq "U7: a deleted user's key is free again (the key ended with it)" 0 "$rc"

# ---- more keys than one answer holds: unilogin-keys follows the pages ----
ul_user many@example.com
ul_account comms many many@example.com
/usr/bin/python3 -c "
import base64, os, struct, sys
sys.path.insert(0, '$top_srcdir/tests'); import ulwire
c = ulwire.Client('$T/run/unilogin.sock')
for i in range(700):
    blob = struct.pack('>I', 11) + b'ssh-ed25519' + struct.pack('>I', 32) + os.urandom(32)
    r = c.call('sshkey_add', email='many@example.com',
               sshkey='ssh-ed25519 ' + base64.b64encode(blob).decode())
    assert r.result == 0, r.message
"
rc=0; out=$($KEYS many 2>/dev/null) || rc=$?
expect_eq "700 keys (two pages): unilogin-keys exits 0" 0 "$rc"
expect_eq "700 keys: every key once, across the pages" "700 700" \
	"$(printf '%s\n' "$out" | wc -l) $(printf '%s\n' "$out" | sort -u | wc -l)"

# ---- fail closed: the helper stopped, the keys off ----
ul_stop
rc=0; out=$($KEYS carol 2>/dev/null) || rc=$?
expect_eq "helper stopped: unilogin-keys prints nothing" "" "$out"
expect_eq "helper stopped: ... and exits non-zero" 1 "$rc"
ul_config "ssh_service = ultest" "ssh_keys = off"
ul_start
expect_eq "ssh_keys = off: no key line" "" "$(lines carol)"
ul_stop
ul_config "ssh_service = ultest" "ssh_keys = required"
ul_start
rc=0; out=$(answers carol@example.com "$PASSWORD" | pam carol)
expect_contains "ssh_keys = required: an SSH login without a key is refused" "$out" \
	"This host requires an SSH key of your unified login."
expect_lacks "... before any question" "$out" "prompt"
rc=0; out=$(answers "" | pam carol -e "SSH_AUTH_INFO_0=publickey $(body carol)")
expect_contains "ssh_keys = required: with the key, in" "$out" "auth: PAM_SUCCESS"
expect_lacks "S4: no password in the helper's log" "$(cat "$T/helper.log")" "$PASSWORD"
ul_done
