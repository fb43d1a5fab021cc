#!/bin/sh
# Export and import (JSONL): a store dumped, loaded into an empty state dir
# that holds the same `keys` file and dumped again is byte-identical, and
# every login that worked before still works through the real PAM stack.
# A malformed line refuses its whole batch (one transaction) and is named
# by its line number; earlier batches stay.  Only admins may do either (S5).
. "$top_srcdir/tests/lib.sh"
command -v oathtool >/dev/null || ul_skip "oathtool is needed for TOTP codes"
command -v ssh-keygen >/dev/null || ul_skip "ssh-keygen is needed for an SSH key"

cat >"$T/deliver" <<EOF
#!/bin/sh
# the test's delivery command: KIND ADDRESS in argv, the message on stdin
# one delivery at a time: several finish together (a held pool let go)
(flock 9; { echo "\$1 \$2"; cat; echo "--"; } >&9) 9>>"$T/outbox"
EOF
chmod 755 "$T/deliver"
ul_config "delivery_command = $T/deliver"
ul_start

# the last code sent for KIND ADDRESS (e.g. "verify carol@example.com")
sent_code() { awk -v who="$1" '$0 == who {getline; c=$0} END{print c}' "$T/outbox"; }

# ---- 1. a store with one of everything ----
ctl product add comms --display "Comms Cloud" >/dev/null
ctl product add shop >/dev/null

ul_user alice@example.com                       # linked, with an authenticator app
ul_account comms alice alice@example.com
ul_totp_user alice@example.com 6
ALICE_SECRET=$SECRET

ul_user bob@example.com                         # linked, with an SMS method
ul_account comms bob bob@example.com
ctl tfa enroll bob@example.com --sms +15551234567 >/dev/null
ctl tfa confirm bob@example.com "$(sent_code 'sms +15551234567')" >/dev/null

ctl user add carol@example.com >/dev/null       # unconfirmed

ul_user dave@example.com                        # locked; JSON-hostile friendly name
ul_account comms dave dave@example.com --friendly-name 'Dàve "ops" \ / end'
ctl user lock dave@example.com >/dev/null

answers 'the legacy password' |                 # legacy, in the second product
	ctl --password-stdin account add shop oldie --email old@example.com \
	--legacy-password >/dev/null

ul_user sub@example.com                         # a subuser of alice's account
ctl account add comms alice-sub --email sub@example.com --parent alice \
	--unix-user alicesub >/dev/null

ul_user mate@example.com                        # a teammate of alice's account
ctl account invite comms alice mate@example.com --role billing >/dev/null

KEY=$(ctl --json apikey create comms alice alice@example.com |
	sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
[ -n "$KEY" ] || { echo "no API key"; exit 99; }
ssh-keygen -q -t ed25519 -N '' -C "alice laptop" -f "$T/alice.ssh"   # K1
ctl sshkey add alice@example.com "$T/alice.ssh.pub" >/dev/null

ul_user eve@example.com                         # a pending email change (U6)
ul_account shop eve eve@example.com
ctl user set-email eve@example.com eve2@example.com >/dev/null

# the PAM services: product shop, and API keys for comms
sed 's/conf=/product=shop conf=/' "$T/pam.d/ultest" >"$T/pam.d/ultest-shop"
sed 's/conf=/apikey conf=/' "$T/pam.d/ultest" >"$T/pam.d/ultest-key"
shop() { "$PAMDRIVE" -d "$T/pam.d" ultest-shop "$1" 2>>"$T/pam.err" || true; }
keylogin() { answers "$2" | "$PAMDRIVE" -d "$T/pam.d" ultest-key "$1" 2>>"$T/pam.err" || true; }

# An SMS login of bob: the code exists only after the empty answer.
sms_login() {
	rm -f "$T/in"
	mkfifo "$T/in"
	pam bob <"$T/in" >"$T/sms.out" &
	pampid=$!
	exec 3>"$T/in"
	before=$(ul_sent sms)
	answers bob@example.com "$PASSWORD" "" >&3
	ul_wait_sent sms "$before"
	answers "$(sent_code 'sms +15551234567')" >&3
	exec 3>&-
	wait $pampid || true
	cat "$T/sms.out"
}

# Every kind of login, as it should go; $1 says when, $2 is alice's code.
check_logins() {
	when=$1
	out=$(answers alice@example.com "$PASSWORD" "$2" | pam alice)
	expect_contains "$when: the TOTP user logs in" "$out" "auth: PAM_SUCCESS"
	expect_contains "$when: the TOTP user is asked a code" "$out" \
		"prompt(hidden): Verification code: "
	out=$(sms_login)
	expect_contains "$when: the SMS user logs in with the sent code" "$out" "auth: PAM_SUCCESS"
	out=$(answers 'the legacy password' | shop oldie)
	expect_contains "$when: the legacy account logs in with its own password" "$out" \
		"auth: PAM_SUCCESS"
	out=$(answers 'a wrong password' | shop oldie)
	expect_contains "$when: the legacy account refuses a wrong password" "$out" \
		"auth: PAM_AUTH_ERR"
	out=$(answers mate@example.com "$PASSWORD" | pam alice)
	expect_contains "$when: the teammate logs in to the account" "$out" "auth: PAM_SUCCESS"
	expect_contains "$when: the teammate's role" "$out" "env: UNILOGIN_ROLE=billing"
	expect_contains "$when: the teammate's email" "$out" "env: UNILOGIN_EMAIL=mate@example.com"
	out=$(answers sub@example.com "$PASSWORD" | pam alicesub)
	expect_contains "$when: the subuser's owner logs in" "$out" "auth: PAM_SUCCESS"
	out=$(keylogin alice "$KEY")
	expect_contains "$when: the API key logs in" "$out" "auth: PAM_SUCCESS"
	expect_contains "$when: the API key names its user" "$out" \
		"env: UNILOGIN_EMAIL=alice@example.com"
	out=$(keylogin bob "$KEY")
	expect_contains "$when: the API key works for its account only" "$out" "auth: PAM_AUTH_ERR"
	out=$(answers dave@example.com "$PASSWORD" | pam dave)
	expect_contains "$when: the locked user is refused" "$out" "auth: PAM_AUTH_ERR"
	expect_contains "$when: the locked user is told why" "$out" "locked by an administrator"
	out=$(answers eve@example.com "$PASSWORD" | shop eve)
	expect_contains "$when: until confirmed, the old email of a change works" "$out" \
		"auth: PAM_SUCCESS"
}

code0=$(totp "$ALICE_SECRET" 6)
check_logins "before export" "$code0"

ctl account list >"$T/accounts1"
ctl user list >"$T/users1"
ctl product list >"$T/products1"
ctl account show comms alice >"$T/alice1"
ctl account show shop oldie >"$T/oldie1"

# ---- 2. export, import into an empty store, export again ----
ctl export >"$T/dump1.jsonl" && rc=0 || rc=$?
expect_eq "export exits 0" 0 "$rc"
dump=$(cat "$T/dump1.jsonl")
for type in meta product user method account member apikey sshkey; do
	expect_contains "the dump holds a $type line" "$dump" "{\"type\":\"$type\""
done
expect_contains "the dump holds the pending email" "$dump" '"pending_email":"eve2@example.com"'
expect_contains "the dump holds the SMS phone" "$dump" '"phone":"+15551234567"'
expect_lacks "S4: no password in the dump" "$dump" "$PASSWORD"
expect_lacks "S4: no TOTP seed in the dump" "$dump" "$ALICE_SECRET"
expect_lacks "S4: no API key secret in the dump" "$dump" "${KEY##*_}"
bad=$(grep -cv '^{"type":"[a-z]*",.*}$' "$T/dump1.jsonl" || true)
expect_eq "every dump line is one JSON object with its type first" 0 "$bad"

ul_restart_empty "$T/state2"
out=$(ctl user list)
expect_lacks "the new store starts empty" "$out" "alice@example.com"

out=$(ctl import <"$T/dump1.jsonl" 2>&1) && rc=0 || rc=$?
expect_eq "import exits 0" 0 "$rc"
expect_contains "import says how many lines" "$out" \
	"imported $(wc -l <"$T/dump1.jsonl") lines"
ctl export >"$T/dump2.jsonl"
if cmp "$T/dump1.jsonl" "$T/dump2.jsonl" >/dev/null; then
	pass "export -> import -> export is byte-identical"
else
	fail "export -> import -> export is byte-identical"
	diff "$T/dump1.jsonl" "$T/dump2.jsonl" | sed 's/^/#   /'
fi

# ---- 3. after the import ----
expect_eq "account list (uids) unchanged" "$(cat "$T/accounts1")" "$(ctl account list)"
expect_eq "user list unchanged" "$(cat "$T/users1")" "$(ctl user list)"
expect_eq "product list unchanged" "$(cat "$T/products1")" "$(ctl product list)"
expect_eq "account show comms alice unchanged" "$(cat "$T/alice1")" \
	"$(ctl account show comms alice)"
expect_eq "account show shop oldie unchanged" "$(cat "$T/oldie1")" \
	"$(ctl account show shop oldie)"
expect_contains "the uid is the one before" "$(cat "$T/alice1")" "uid: 900000000"

# T3: the step used before the export stays used (it is within the window)
out=$(answers alice@example.com "$PASSWORD" "$code0" | pam alice)
expect_contains "T3: the code used before the export is refused after it" "$out" \
	"auth: PAM_AUTH_ERR"
# a TOTP step not used before
check_logins "after import" "$(totp "$ALICE_SECRET" 6 +30)"

# the codes of the old store still work: they are hashed under the same keys
out=$(ctl user verify carol@example.com "$(sent_code 'verify carol@example.com')" 2>&1) \
	&& rc=0 || rc=$?
expect_eq "the unconfirmed user's code still confirms it" 0 "$rc"
out=$(ctl user verify eve2@example.com "$(sent_code 'verify eve2@example.com')" 2>&1) \
	&& rc=0 || rc=$?
expect_eq "U6: the pending email change can be confirmed after the import" 0 "$rc"
out=$(answers eve2@example.com "$PASSWORD" | shop eve)
expect_contains "U6: ... and the new email logs in" "$out" "auth: PAM_SUCCESS"

# the uid counter came along: a new account gets the next uid, not a used one
next_uid=$(sed -n 's/^{"type":"meta","next_uid":\([0-9]*\)}$/\1/p' "$T/dump1.jsonl")
ul_user new@example.com
ul_account comms newbie new@example.com
expect_contains "a new account gets the exported next uid" \
	"$(ctl account show comms newbie)" "uid: $next_uid"

# ---- 4. a malformed line refuses its batch ----
ul_restart_empty "$T/state3"
empty=$(ctl export)
expect_eq "an empty store exports its meta line alone" '{"type":"meta","next_uid":0}' "$empty"

good() { # N: a product line and a user line of its own
	echo "{\"type\":\"product\",\"name\":\"p$1\",\"created\":1700000000}"
	echo "{\"type\":\"user\",\"email\":\"good$1@example.com\",\"confirmed\":true,\"created\":1700000000,\"id\":\"$(printf '%032x' "$1")\"}"
}

LONG=$(printf '%0300d@example.com' 0)        # longer than any email
k=0
while IFS='|' read -r what needle line; do
	k=$((k + 1))
	{
		i=0; while [ $i -lt "$k" ]; do good $i; i=$((i + 1)); done
		printf '%s\n' "$line"
		good 8; good 9
	} >"$T/bad$k.jsonl"
	badline=$((2 * k + 1))
	out=$(ctl import <"$T/bad$k.jsonl" 2>&1) && rc=0 || rc=$?
	# a damaged line is a refusal (exit 1), not a usage error
	expect_eq "$what: import exits 1" 1 "$rc"
	expect_contains "$what: the message names line $badline" "$out" "line $badline: "
	expect_contains "$what: the message says what is wrong" "$out" "$needle"
	expect_lacks "$what: no line count of success" "$out" "imported"
	expect_eq "$what: nothing of the batch is stored" "$empty" "$(ctl export)"
	expect_lacks "$what: no user of the batch" "$(ctl user list)" "good0@example.com"
done <<LINES
not JSON|not JSON|{"type":"user","email":"x@example.com"
an unknown type|unknown type "widget"|{"type":"widget","name":"w"}
an unknown field|unknown field "colour"|{"type":"user","email":"x@example.com","colour":"red"}
bad base64|confirm.hash: expected base64|{"type":"user","email":"x@example.com","confirm.hash":"!!not*base64!!"}
base64 of the wrong length|seed_box: expected base64|{"type":"method","user":"x@example.com","id":1,"kind":1,"seed_box":"AAAA"}
a non-normalised email|not a normalised email|{"type":"user","email":"X@Example.COM"}
a non-normalised member email|not a normalised email|{"type":"member","user":" x@example.com","product":"comms","account":"a","role":"member"}
a field too long|email: too long|{"type":"apikey","id":"k1","email":"$LONG"}
a string where a number goes|created: expected an integer|{"type":"product","name":"p","created":"yesterday"}
an SSH key with another key's fingerprint|is not its key's|{"type":"sshkey","id":"s1","email":"x@example.com","key_type":"ssh-ed25519","blob":"AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C7okWi0dh2l9GAJl","fingerprint":"SHA256:xF/ydyEHDP8fwlFu/uY7sVzBODYS2Oyj3q3SBl7vKdc","bits":256}
an SSH key of a type we refuse|unknown key type|{"type":"sshkey","id":"s1","email":"x@example.com","key_type":"ssh-dss","blob":"AAAAB3NzaC1kc3M=","fingerprint":"SHA256:x","bits":1024}
LINES

# several batches (500 lines each): the bad one is in the third
awk 'BEGIN {
	for (i = 1; i <= 1500; i++) {
		if (i == 1203) { print "{\"type\":\"user\",\"email\":\"u1203@example.com\",\"shoe_size\":9}"; continue }
		printf "{\"type\":\"user\",\"email\":\"u%04d@example.com\",\"confirmed\":true,\"created\":1700000000,\"id\":\"%032x\"}\n", i, i
	}
}' >"$T/many.jsonl"
out=$(ctl import <"$T/many.jsonl" 2>&1) && rc=0 || rc=$?
expect_eq "three batches, the third bad: import exits 1" 1 "$rc"
expect_contains "three batches: the message names the absolute line" "$out" \
	'line 1203: unknown field "shoe_size"'
ctl export >"$T/many-out.jsonl"
expect_eq "three batches: the first two batches are stored" 1000 \
	"$(grep -c '"type":"user"' "$T/many-out.jsonl")"
expect_contains "three batches: the last line of batch two is stored" \
	"$(cat "$T/many-out.jsonl")" '"email":"u1000@example.com"'
expect_lacks "three batches: the first line of the bad batch is not" \
	"$(cat "$T/many-out.jsonl")" '"email":"u1001@example.com"'
expect_lacks "three batches: nor the lines after the bad one" \
	"$(cat "$T/many-out.jsonl")" '"email":"u1500@example.com"'
out=$(ctl user show u0500@example.com 2>&1 || true)
expect_contains "three batches: a stored user is a user" "$out" "confirmed: yes"

# An export of several pages in each section (products, users, accounts
# whose names hold the cursor's "/") loads back the same.
awk 'BEGIN {
	for (i = 1; i <= 1200; i++)
		printf "{\"type\":\"product\",\"name\":\"prod%04d\",\"display_name\":\"Product number %d\",\"created\":1700000000}\n", i, i
	for (i = 1; i <= 800; i++) {
		printf "{\"type\":\"account\",\"product\":\"prod%04d\",\"name\":\"team/%04d@example.com\",\"unix_user\":\"t%04d\",\"uid\":%d,\"email\":\"u%04d@example.com\",\"friendly_name\":\"Team %d\",\"created\":1700000000}\n", i % 7 + 1, i, i, 900100000 + i, i, i
		printf "{\"type\":\"member\",\"user\":\"u%04d@example.com\",\"product\":\"prod%04d\",\"account\":\"team/%04d@example.com\",\"role\":\"member\"}\n", (i % 1000) + 1, i % 7 + 1, i
	}
}' >"$T/pages.jsonl"
ul_restart_empty "$T/state4"
out=$(cat "$T/many-out.jsonl" "$T/pages.jsonl" | ctl import 2>&1) && rc=0 || rc=$?
expect_eq "a dump of 1000 users, 1200 products and 800 accounts imports" 0 "$rc"
ctl export >"$T/pages1.jsonl"
expect_eq "... and exports every record" \
	"$(($(wc -l <"$T/many-out.jsonl") + $(wc -l <"$T/pages.jsonl")))" \
	"$(wc -l <"$T/pages1.jsonl")"
expect_eq "... sorted as the store walks them" \
	"$(grep '"type":"account"' "$T/pages.jsonl" | sed 's/.*"product":"\([^"]*\)","name":"\([^"]*\)".*/\1 \2/' | LC_ALL=C sort)" \
	"$(grep '"type":"account"' "$T/pages1.jsonl" | sed 's/.*"product":"\([^"]*\)","name":"\([^"]*\)".*/\1 \2/')"
ul_restart_empty "$T/state5"
ctl import <"$T/pages1.jsonl" >/dev/null
ctl export >"$T/pages2.jsonl"
if cmp "$T/pages1.jsonl" "$T/pages2.jsonl" >/dev/null; then
	pass "a dump of several pages round-trips byte-identical"
else
	fail "a dump of several pages round-trips byte-identical"
	diff "$T/pages1.jsonl" "$T/pages2.jsonl" | head -20 | sed 's/^/#   /'
fi

# ---- 5. S5: export and import are for admins ----
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	as_nobody() {
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
			"$UL_BIN/uniloginctl" --config "$T/unilogin.conf" "$@"
	}
	out=$(as_nobody export 2>&1) && rc=0 || rc=$?
	expect_eq "S5: nobody: export exits 4" 4 "$rc"
	expect_contains "S5: nobody: export says why" "$out" "permission denied"
	expect_lacks "S5: nobody: export shows no record" "$out" "u0001@example.com"
	out=$(echo '{"type":"user","email":"intruder@example.com"}' | as_nobody import 2>&1) \
		&& rc=0 || rc=$?
	expect_eq "S5: nobody: import exits 4" 4 "$rc"
	expect_contains "S5: nobody: import says why" "$out" "permission denied"
	expect_lacks "S5: nobody: import stored nothing" "$(ctl user list)" "intruder@example.com"
else
	echo "# S5 checks need root and setpriv: left out"
fi

ul_done
