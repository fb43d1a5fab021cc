#!/bin/sh
# `uniloginctl migrate` (M1, issue 17) on a host built in a mount namespace:
# a private copy of /etc (passwd, shadow, group made by the real useradd,
# chpasswd and mkpasswd), homes under the test dir, a ~/.google_authenticator
# written by the real google-authenticator program and a pam_oath users
# file.  After the migration and the printed removal commands every user
# logs in through the real PAM stack with the same password and a code from
# the same secret (oathtool), and its hash is argon2id after that login; a
# scratch code works once; a legacy user links itself (L6) and its old
# password stops (L5); --dry-run changes no byte; a second run imports
# nothing; hostile files are reported with file and line, and nothing of
# their user is stored.
if [ -z "${UL_MIGRATE_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (a mount namespace, useradd)"; exit 77; }
	for p in unshare useradd chpasswd mkpasswd google-authenticator oathtool mdb_dump; do
		command -v $p >/dev/null || { echo "SKIP: $p is needed"; exit 77; }
	done
	UL_MIGRATE_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
. "$top_srcdir/tests/lib.sh"

# ---- the host: its own /etc, its own homes ----
cp -a /etc "$T/etc"
mount --bind "$T/etc" /etc
mkdir -p "$T/home"
chmod 755 "$T/home"

mkuser() { # NAME UID [useradd options]
	n=$1 u=$2; shift 2
	useradd -u "$u" -m -d "$T/home/$n" -s /bin/sh -c "$n of the old host" "$@" "$n"
}
mkuser alice 1501                       # yescrypt, email, google-authenticator
mkuser bob 1502                         # SHA-512, email, pam_oath
mkuser carol 1503                       # SHA-256 (mkpasswd), no email: legacy
mkuser dave 1504 -g users               # bcrypt (mkpasswd), email, gid 100
mkuser erin 1505                        # locked in /etc/shadow, no email
mkuser frank 1506                       # an authenticator but no email
mkuser root2 1507 -G sudo               # an admin: stays local
for n in mal1 mal2 mal3 mal4 mal5 mal6 mal7 mal8; do
	mkuser $n $((1510 + ${n#mal}))
done
echo 'alice:alice-old-pw' | chpasswd -c YESCRYPT
echo 'bob:bob-old-pw' | chpasswd -c SHA512
usermod -p "$(mkpasswd -m sha-256 carol-old-pw)" carol
usermod -p "$(mkpasswd -m bcrypt dave-old-pw)" dave
echo 'erin:erin-old-pw' | chpasswd && usermod -L erin
for n in frank root2 mal1 mal2 mal3 mal4 mal5 mal6 mal7 mal8; do
	echo "$n:$n-old-pw" | chpasswd -c YESCRYPT
done
expect_contains "the host: a yescrypt hash" "$(grep '^alice:' /etc/shadow)" 'alice:$y$'
expect_contains "the host: a SHA-512 hash" "$(grep '^bob:' /etc/shadow)" 'bob:$6$'

# the real google-authenticator writes the file (mode 0400); it is the user's
ga() { # NAME [MODE]: writes ~NAME/.google_authenticator (MODE: -c for HOTP)
	n=$1
	f="$T/home/$n/.google_authenticator"
	# shellcheck disable=SC2086
	google-authenticator ${2:--t -d} -f -r 3 -R 30 -w 3 -q -e 5 -s "$f" >/dev/null
	chown "$n:" "$f"
}
ga alice
ALICE_SECRET=$(head -1 "$T/home/alice/.google_authenticator")
ALICE_SCRATCH=$(sed -n 6p "$T/home/alice/.google_authenticator")
expect_contains "google-authenticator wrote a TOTP file" \
	"$(cat "$T/home/alice/.google_authenticator")" '" TOTP_AUTH'
ga frank
ga mal1 && chmod 0644 "$T/home/mal1/.google_authenticator"              # readable by all
ga mal2 && mv "$T/home/mal2/.google_authenticator" "$T/home/mal2/real" &&
	ln -s real "$T/home/mal2/.google_authenticator"                     # a symlink
ga mal3 && chown root: "$T/home/mal3/.google_authenticator"             # wrong owner
printf 'NOT*BASE32!!\n" TOTP_AUTH\n' >"$T/home/mal4/.google_authenticator"  # garbage
{ head -5 "$T/home/alice/.google_authenticator"; head -c 6000 /dev/zero | tr '\0' 1; echo; } \
	>"$T/home/mal5/.google_authenticator"                              # a huge line
ga mal6 -c                                                              # HOTP counter
for n in mal4 mal5; do
	chown $n: "$T/home/$n/.google_authenticator"
	chmod 0400 "$T/home/$n/.google_authenticator"
done
BOB_HEX=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$T/users.oath" <<EOF
HOTP/T30 bob - $BOB_HEX
HOTP mal7 - $BOB_HEX 0
HOTP/T30/6 mal8 1234 $BOB_HEX
HOTP/T30 someone-else - $BOB_HEX
EOF
chmod 600 "$T/users.oath"
cat >"$T/emails" <<EOF
# user email
alice alice@example.com
bob Bob@Example.com
dave dave@example.com
$(for n in mal1 mal2 mal3 mal4 mal5 mal6 mal7 mal8; do echo "$n $n@example.com"; done)
EOF

# ---- the helper ----
ul_config "uid_min = 1000" "uid_max = 60000" "tfa_required = no"
ul_start
ctl product add comms >/dev/null
ul_user dave@example.com 'dave unified pw'      # dave's email has a user already

MIGRATE="--uid-range 1500-1599 --emails $T/emails --google-authenticator --oath-users $T/users.oath"
# every database of the store, record by record (the LMDB file's own meta
# page moves on with the helper's periodic upkeep, which changes no
# record), and the host's files, byte by byte
sums() {
	mdb_dump -a "$T/state" | sha256sum
	sha256sum /etc/passwd /etc/shadow /etc/group "$T"/home/*/.google_authenticator \
	    "$T/users.oath" "$T/emails" 2>/dev/null
}

# ---- refusals of the range itself ----
out=$(ctl migrate --uid-range 0-2000 2>&1) && rc=0 || rc=$?
expect_eq "a range holding uid 0 is refused" 1 "$rc"
expect_contains "... and says why" "$out" "holds uid 0"
out=$(ctl migrate --uid-range 500-1600 2>&1) && rc=0 || rc=$?
expect_eq "a range over the system users is refused" 1 "$rc"
out=$(ctl migrate --uid-range 1500-70000 2>&1) && rc=0 || rc=$?
expect_contains "a range outside uid_min..uid_max is refused" "$out" "uid_min..uid_max"
out=$(ctl migrate 2>&1) && rc=0 || rc=$?
expect_eq "no --uid-range: usage" 2 "$rc"

# ---- --dry-run: says what, changes nothing ----
before=$(sums)
out=$(ctl migrate $MIGRATE --dry-run 2>&1) && rc=0 || rc=$?
expect_contains "dry run: says so" "$out" "nothing was changed"
expect_contains "dry run: alice would be linked" "$out" "alice (uid 1501): linked to alice@example.com"
expect_eq "dry run: store and files byte-identical" "$before" "$(sums)"
expect_eq "dry run: no account stored" "" "$(ctl account list comms 2>&1 | grep alice || true)"

# ---- the migration ----
out=$(ctl migrate $MIGRATE 2>&1) && rc=0 || rc=$?
echo "$out" | sed 's/^/#   /'
expect_eq "migrate: exit 1, some users were refused" 1 "$rc"
[ "$before" != "$(sums)" ] && pass "the real run changes the store (the dry-run check can fail)" ||
	fail "the real run changed nothing"
expect_contains "alice linked with her app" "$out" \
	"alice (uid 1501): linked to alice@example.com, authenticator imported from google-authenticator"
expect_contains "bob linked with his pam_oath line" "$out" \
	"bob (uid 1502): linked to bob@example.com, authenticator imported from pam_oath"
expect_contains "carol left legacy" "$out" "carol (uid 1503): a legacy account"
expect_contains "dave: the existing user keeps its password" "$out" \
	"dave (uid 1504): linked to the existing user dave@example.com"
expect_contains "erin: locked stays locked" "$out" "locked in /etc/shadow"
expect_contains "frank: an app without an email is refused" "$out" \
	"frank (uid 1506): skipped: an authenticator (google-authenticator) but no email"
expect_contains "an admin stays local" "$out" "kept local: root2 (uid 1507): a member of sudo"
expect_contains "... and the admin is told what S6 means for it" "$out" "PAM_AUTHINFO_UNAVAIL, not pam_unix (S6)"
G="$T/home"
expect_contains "mode 0644: file named" "$out" "mal1 (uid 1511): skipped: $G/mal1/.google_authenticator: mode 0644"
expect_contains "a symlink: file named" "$out" "mal2 (uid 1512): skipped: $G/mal2/.google_authenticator: a symbolic link"
expect_contains "wrong owner: file named" "$out" "mal3 (uid 1513): skipped: $G/mal3/.google_authenticator: owned by uid 0"
expect_contains "garbage secret: file and line" "$out" "mal4 (uid 1514): skipped: $G/mal4/.google_authenticator:1: the secret is not base32"
expect_contains "a huge line: file and line" "$out" "mal5 (uid 1515): skipped: $G/mal5/.google_authenticator: line 6: longer than 4096 bytes"
expect_contains "a HOTP file is refused: file and line" "$out" "mal6 (uid 1516): skipped: $G/mal6/.google_authenticator:4: HOTP counters are not imported"
expect_contains "a HOTP pam_oath line: file and line" "$out" "mal7 (uid 1517): skipped: $T/users.oath:2: HOTP counters are not imported"
expect_contains "a pam_oath PIN: file and line" "$out" "mal8 (uid 1518): skipped: $T/users.oath:3: a PIN is not imported"
expect_contains "summary" "$out" "summary: 5 users migrated (3 linked, 2 left legacy), 2 authenticator apps imported, 0 already present, 9 skipped or refused, 1 kept local"
expect_contains "removal commands printed" "$out" "  userdel alice"
expect_lacks "no removal command for a refused user" "$out" "userdel mal1"
expect_contains "the migrated users are still in /etc/passwd (never edited)" "$(cat /etc/passwd)" "alice:x:1501"
dump=$(ctl export)
for n in 1 2 3 4 5 6 7 8; do
	case "$dump" in *mal$n*) fail "nothing of mal$n is stored" ;; *) pass "nothing of mal$n is stored" ;; esac
done
expect_lacks "nothing of frank is stored" "$dump" "frank"
expect_contains "audited as the admin's assertion" "$(ctl audit)" "linked on the admin's assertion"

# ---- the removal commands, as printed ----
echo "$out" | sed -n 's/^  \(userdel [a-z0-9]*\)$/\1/p' >"$T/remove.sh"
sh -e "$T/remove.sh" 2>"$T/userdel.err" || { fail "userdel failed"; cat "$T/userdel.err"; }
expect_lacks "removed from /etc/passwd" "$(cat /etc/passwd)" "alice:"
expect_lacks "removed from /etc/shadow" "$(cat /etc/shadow)" "alice:"
expect_contains "homes stay" "$(ls "$T/home/alice/.google_authenticator")" ".google_authenticator"

# ---- NSS answers the user's own gid, home and shell ----
WRAPPER=
for f in /usr/lib/*/libnss_wrapper.so; do [ -e "$f" ] && WRAPPER=$f; done
if [ -n "$WRAPPER" ]; then
	printf 'root:x:0:0:root:/root:/bin/bash\n' >"$T/passwd.nss"
	printf 'root:x:0:\n' >"$T/group.nss"
	nss() {
		env LD_PRELOAD="$ASAN_PRELOAD${ASAN_PRELOAD:+ }$WRAPPER" NSS_WRAPPER_PASSWD="$T/passwd.nss" \
		    NSS_WRAPPER_GROUP="$T/group.nss" NSS_WRAPPER_MODULE_SO_PATH="$top_builddir/.libs/libnss_unilogin.so.2" \
		    NSS_WRAPPER_MODULE_FN_PREFIX=unilogin UNILOGIN_CONF="$T/unilogin.conf" "$@"
	}
	expect_eq "NSS: dave keeps gid 100, his home and shell" \
		"dave:x:1504:100:dave of the old host:$T/home/dave:/bin/sh" "$(nss getent passwd dave)"
	expect_eq "NSS: alice keeps her private group" "alice:x:1501:1501:alice of the old host:$T/home/alice:/bin/sh" \
		"$(nss getent passwd alice)"
fi
expect_contains "export carries gid, home and shell" "$(ctl export | grep '"name":"dave"')" \
	"\"gid\":100,\"home\":\"$T/home/dave\",\"shell\":\"/bin/sh\""

# ---- export and import carry all of it, shadow hashes included ----
ctl export >"$T/dump1.jsonl"
ul_restart_empty "$T/state2"
out=$(ctl import <"$T/dump1.jsonl" 2>&1) && rc=0 || rc=$?
expect_eq "the migrated store imports into a new one" 0 "$rc"
ctl export >"$T/dump2.jsonl"
cmp -s "$T/dump1.jsonl" "$T/dump2.jsonl" && pass "export -> import -> export is byte-identical" ||
	fail "export -> import -> export is byte-identical"

# ---- each user logs in with the same password and the same app ----
user_hash() { ctl export | grep "\"type\":\"user\".*\"email\":\"$1\"" | sed 's/.*"pwhash":"\([^"]*\)".*/\1/'; }
expect_contains "before the first login: the shadow hash" "$(user_hash alice@example.com)" '$y$'
out=$(answers alice@example.com alice-old-pw "$(totp "$ALICE_SECRET" 6)" | pam alice)
expect_contains "alice: same password, same app" "$out" "auth: PAM_SUCCESS"
expect_contains "alice: the code was asked" "$out" "Verification code"
expect_contains "U3: argon2id after the first login" "$(user_hash alice@example.com)" '$argon2id$'
out=$(answers alice@example.com alice-old-pw "$ALICE_SCRATCH" | pam alice)
expect_contains "a scratch code works as a recovery code" "$out" "auth: PAM_SUCCESS"
out=$(answers alice@example.com alice-old-pw "$ALICE_SCRATCH" | pam alice)
expect_contains "... once" "$out" "auth: PAM_AUTH_ERR"
out=$(answers alice@example.com wrong-pw "$(totp "$ALICE_SECRET" 6 +30)" | pam alice)
expect_contains "a wrong password is still wrong" "$out" "auth: PAM_AUTH_ERR"

out=$(answers bob@example.com bob-old-pw "$(oathtool --totp -d 6 "$BOB_HEX")" | pam bob)
expect_contains "bob: same password (SHA-512), same pam_oath secret" "$out" "auth: PAM_SUCCESS"
expect_contains "bob: argon2id after the first login" "$(user_hash bob@example.com)" '$argon2id$'

out=$(answers dave@example.com 'dave unified pw' | pam dave)
expect_contains "dave logs in with the existing user's password" "$out" "auth: PAM_SUCCESS"
out=$(answers dave@example.com dave-old-pw 000000 | pam dave)
expect_contains "... not with the local one" "$out" "auth: PAM_AUTH_ERR"

out=$(answers erin-old-pw | pam erin)
expect_contains "erin: locked in /etc/shadow stays locked" "$out" "auth: PAM_AUTH_ERR"

# ---- a legacy user: old password, then `unilogin link` (L6), then L5 ----
acct_hash() { ctl export | grep "\"type\":\"account\".*\"name\":\"$1\"" | sed -n 's/.*"pwhash":"\([^"]*\)".*/\1/p'; }
expect_contains "carol: the shadow hash (SHA-256) kept" "$(acct_hash carol)" '$5$'
# S1: a wrong password against a shadow hash costs the argon2id of any
# wrong password (the dummy runs beside crypt), and no more
kdf_runs() { ctl --json status | sed -n 's/.*"kdf_runs":\([0-9]*\).*/\1/p'; }
k0=$(kdf_runs)
out=$(answers not-carols-pw | pam carol)
expect_contains "carol: a wrong password is refused" "$out" "auth: PAM_AUTH_ERR"
expect_eq "S1: a shadow hash's check runs one argon2id, as any check does" 1 $(( $(kdf_runs) - k0 ))
expect_contains "... and the shadow hash stays" "$(acct_hash carol)" '$5$'
out=$(answers carol-old-pw | pam carol)
expect_contains "carol logs in with her old password" "$out" "auth: PAM_SUCCESS"
expect_lacks "... Password only (L1)" "$out" "Email:"
expect_contains "carol: argon2id after the first login" "$(acct_hash carol)" '$argon2id$'
ul_user carol@example.com
out=$(answers carol@example.com "$PASSWORD" "" carol-old-pw | self --password-stdin link comms carol 2>&1) &&
	rc=0 || rc=$?
expect_eq "unilogin link: carol links her account (L6)" 0 "$rc"
out=$(answers carol@example.com carol-old-pw 000000 | pam carol)
expect_contains "L5: the old password is refused" "$out" "auth: PAM_AUTH_ERR"
expect_contains "... the account now asks the unified credentials" "$out" "prompt: Email: "
out=$(answers carol@example.com "$PASSWORD" "" | pam carol)
expect_contains "the unified credentials open it" "$out" "auth: PAM_SUCCESS"

# ---- a second run imports nothing new ----
before=$(ctl export | grep -v '"type":"meta"' | sort | sha256sum)
# the removed users are gone from /etc/passwd now: put one back as it was
out=$(ctl --json migrate $MIGRATE 2>&1) && rc=0 || rc=$?
expect_contains "second run: nothing migrated" "$out" '"migrated":0'
expect_eq "second run: the store holds what it held" "$before" \
	"$(ctl export | grep -v '"type":"meta"' | grep -v '"type":"audit"' | sort | sha256sum)"
useradd -u 1501 -M -d "$T/home/alice" -s /bin/sh alice
echo 'alice:alice-old-pw' | chpasswd -c YESCRYPT
out=$(ctl --json migrate $MIGRATE 2>&1) && rc=0 || rc=$?
expect_contains "a user migrated before is present, not imported twice" "$out" '"outcome":"present"'
expect_contains "... its password stays the argon2id one" "$(user_hash alice@example.com)" '$argon2id$'
out=$(answers alice@example.com alice-old-pw "$(totp "$ALICE_SECRET" 6 +30)" | pam alice)
expect_contains "... and its app the one imported (T3: the next step)" "$out" "auth: PAM_SUCCESS"


# ---- the helper trusts no record it is sent (STYLE 6) ----
# a field over its bound closes the connection, before any handler
seed30=$(printf '%060d' 7)
out=$(printf 'record=\nunix_user=evil9\nuid=1557\ntotp_seed=%s\n' "$seed30" |
	python3 "$top_srcdir/tests/attack_wire.py" call "$T/run/unilogin.sock" migrate 2>&1) && rc=0 || rc=$?
expect_eq "a seed field over its bound (20 bytes) closes the connection" 3 "$rc"
out=$(python3 "$top_srcdir/tests/attack_wire.py" call "$T/run/unilogin.sock" migrate <<EOF
record=
unix_user=evil0
uid=0
record=
unix_user=evil1
uid=999
record=
unix_user=evil2
uid=1550
legacy_hash=\$1\$saltsalt\$2vnaRpHa6Jxjz5n83ok8Z0
record=
unix_user=evil3
uid=1551
email=evil3@example.com
totp_seed=123
digits=6
record=
unix_user=evil4
uid=1552
email=evil4@example.com
totp_seed=3132333435363738393031323334353637383930
digits=8
scratch_code=12345678
record=
unix_user=evil5
uid=1553
totp_seed=3132333435363738393031323334353637383930
digits=6
record=
unix_user=Evil 6
uid=1554
record=
unix_user=evil7
uid=1555
home=relative/home
record=
unix_user=evil8
uid=1556
scratch_code=1234
EOF
)
expect_eq "hostile records: each refused" 9 "$(echo "$out" | grep -c '^outcome=refused$')"
expect_contains "uid 0 refused" "$out" "system users and nobody stay local"
expect_contains "an MD5 hash refused" "$out" "not a yescrypt, SHA-512, SHA-256 or bcrypt hash"
expect_contains "a seed over 20 bytes refused" "$out" "an authenticator seed is 1 to 20 bytes"
expect_contains "8 digits with scratch codes refused" "$out" "8-digit codes with scratch codes are ambiguous"
expect_contains "an app without an email refused" "$out" "an authenticator file but no email"
expect_contains "a bad name refused" "$out" "not a valid Unix user name"
expect_contains "a relative home refused" "$out" "home and shell are absolute paths"
expect_contains "a short scratch code refused" "$out" "scratch codes are at most 10 of 8 digits"
expect_lacks "none of them stored" "$(ctl export)" "evil"
ctl status >/dev/null && pass "the helper is still up" || fail "the helper is still up"

ul_done
