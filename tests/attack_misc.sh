#!/bin/sh
# Hardening 2, the other rows: 7 (teammates and API keys outlived their
# owner's `user delete`), 9 (log, audit and terminal injection), 11 (the
# socket directory), 12 (uids of local users), 17 (':' in GECOS), 18 (an
# admin in more than 256 groups) and 19 (`user add` of an email another
# user's set-email waits for).  Each is reproduced against the real helper
# and must now be refused.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/attack_lib.sh"

ul_config
ul_start
sed 's/conf=/apikey conf=/' "$T/pam.d/ultest" >"$T/pam.d/ultest-key"
keylogin() { answers "$2" | "$PAMDRIVE" -d "$T/pam.d" ultest-key "$1" 2>>"$T/pam.err" || true; }

# ---- row 7: the owner's delete ends its teammates and their keys ----
ul_user own@example.com
ul_account comms acc own@example.com
ul_user mate@example.com
ctl account invite comms acc mate@example.com >/dev/null
KEY=$(ctl --json apikey create comms acc mate@example.com | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
[ -n "$KEY" ] || { echo "no API key"; exit 99; }
out=$(answers mate@example.com "$PASSWORD" | pam acc)
expect_contains "row 7: (before) the teammate logs in to the account" "$out" "auth: PAM_SUCCESS"
out=$(keylogin acc "$KEY")
expect_contains "row 7: (before) the teammate's API key works" "$out" "auth: PAM_SUCCESS"
expect_contains "row 7: (before) \`accounts\` lists the teammate's membership" \
	"$(ctl accounts mate@example.com)" "member	active	acc"
ctl user delete own@example.com >/dev/null
ul_user own@example.com 'the new owner password'
ctl account link comms acc own@example.com >/dev/null
expect_contains "row 7: (the account has a new owner)" "$(ctl account show comms acc)" \
	"owner: own@example.com"
# (S1: the code is asked whatever was wrong)
out=$(answers mate@example.com "$PASSWORD" 000000 | pam acc)
expect_contains "row 7: the old teammate cannot log in to the account" "$out" "auth: PAM_AUTH_ERR"
out=$(keylogin acc "$KEY")
expect_contains "row 7: the old teammate's API key is refused" "$out" "auth: PAM_AUTH_ERR"
out=$(ctl accounts mate@example.com 2>&1 || true)
expect_lacks "row 7: \`accounts\` of the old teammate shows no membership" "$out" "member"
out=$(ctl apikey list mate@example.com 2>&1 || true)
expect_lacks "row 7: the teammate's key is no longer listed" "$out" "comms"
out=$(answers own@example.com 'the new owner password' | pam acc)
expect_contains "row 7: (the new owner logs in)" "$out" "auth: PAM_SUCCESS"

# ---- row 9: text from clients is data ----
ul_user rex@example.com
ul_account comms rex rex@example.com
FORGED='unilogind: info: login ok: email=x'
inject() { # TYPE: as root, with a forged rhost line and escapes in tty
	printf '%s\n' 'product=comms' 'unix_user=rex' 'email=rex@example.com' \
	    "password=$PASSWORD" 'service=ss\x1b]0;pwned\x07hd' \
	    "rhost=a\\n$FORGED" 'tty=\x1b[2J\tpts/1' | wire "$1" --escapes
}
expect_eq "row 9: (LOGIN_BEGIN with forged fields is answered)" 0 "$(inject login_begin | field result)"
expect_eq "row 9: (SESSION_OPEN with forged fields is answered)" 0 "$(inject session_open | field result)"
ESC=$(printf '\033')
TAB=$(printf '\t')
log=$(cat "$T/helper.log")
expect_eq "row 9: no helper.log line starts with the forged text" 0 \
	"$(grep -c "^$FORGED" "$T/helper.log" || true)"
expect_lacks "row 9: helper.log holds no ESC" "$log" "$ESC"
expect_contains "row 9: the rhost is logged with '?' for the newline" "$log" "rhost=a?$FORGED"
same_columns() { # WHAT TEXT: every line has the header's number of tabs
	n=$(printf '%s\n' "$2" | awk -F'\t' 'NR == 1 {h = NF} NF != h {bad++} END {print bad + 0}')
	expect_eq "row 9: $1: no tab inside a field (every line has the header's columns)" 0 "$n"
	expect_lacks "row 9: $1: no ESC" "$2" "$ESC"
}
sessions=$(ctl sessions)
same_columns "\`ctl sessions\`" "$sessions"
expect_contains "row 9: \`ctl sessions\` shows the tty with '?'" "$sessions" "${TAB}?[2J?pts/1${TAB}"
audit=$(ctl audit)
same_columns "\`ctl audit\`" "$audit"
expect_contains "row 9: \`ctl audit\` shows the rhost with '?'" "$audit" "${TAB}a?$FORGED${TAB}"
stored=$(ctl --json audit; ctl --json sessions)
expect_lacks "row 9: the store holds no newline in a field" "$stored" '\n'
expect_lacks "row 9: the store holds no ESC in a field" "$stored" '\u001b'
expect_lacks "row 9: the store holds no tab in a field" "$stored" '\t'
out=$(ctl account show comms "$(printf 'evil\033[2J\tx')" 2>&1 || true)
expect_lacks "row 9: a tool's message quoting a client's text has no ESC" "$out" "$ESC"
expect_contains "row 9: ... but '?'" "$out" "evil?[2J?x"
# rhost from nobody is dropped
printf '%s\n' 'product=comms' 'unix_user=rex' 'email=rex@example.com' \
    "password=$PASSWORD" 'service=sshd' 'rhost=198.51.100.99' | wire_nobody login_begin >/dev/null
line=$(ctl audit | awk -F'\t' '$9 == "65534" && $4 == "rex@example.com"' | tail -1)
expect_eq "row 9: nobody's login is audited with rhost '-'" "-" "$(printf '%s\n' "$line" | cut -f8)"
expect_lacks "row 9: nobody's rhost is nowhere in the audit" "$(ctl audit)" "198.51.100.99"

# ---- row 17: ':' in a friendly name, through NSS ----
if [ -n "$WRAPPER" ]; then
	ul_user fay@example.com
	ul_account comms fay fay@example.com --friendly-name 'Fay: ops:x'
	line=$(nss getent passwd fay)
	expect_eq "row 17: getent passwd shows 7 fields" 7 "$(printf '%s\n' "$line" | awk -F: '{print NF}')"
	# (getent writes with glibc's putpwent, which itself turns ':' in
	# pw_gecos into ' '; a program reading the field gets what NSS gave)
	expect_eq "row 17: getpwnam's pw_gecos has ' ' for ':'" "'Fay  ops x'" \
		"$(nss $PY -c 'import pwd; print(repr(pwd.getpwnam("fay").pw_gecos))')"
	printf 'product=comms\nunix_user=fay\n' | wire_nobody nss_getpw >"$T/getpw.out"
	expect_eq "row 17: NSS_GETPW's GECOS field, to anyone, has no ':'" "Fay  ops x" \
		"$(field friendly_name <"$T/getpw.out")"
else
	echo "# row 17 not tested: nss_wrapper (package libnss-wrapper) is missing"
fi

# ---- row 19: user add of an email a set-email waits for ----
ul_user al@example.com
code=$(ctl --json user set-email al@example.com bo@example.com |
	sed -n 's/.*"confirmation_code":"\([^"]*\)".*/\1/p')
[ -n "$code" ] || { echo "no set-email code"; exit 99; }
out=$(ctl user add bo@example.com 2>&1) && rc=0 || rc=$?
expect_eq "row 19: user add of the pending email is refused" 1 "$rc"
expect_contains "row 19: ... with a message" "$out" "bo@example.com is the email of another user, or waits to become one (U6)"
out=$(answers "$code" "$PASSWORD" | self --password-stdin verify bo@example.com 2>&1) &&
	rc=0 || rc=$?
expect_eq "row 19: \`unilogin verify\` with the set-email code completes the move" 0 "$rc"
expect_contains "row 19: ... the user is bo@example.com" "$(ctl user show bo@example.com 2>&1)" "confirmed: yes"
out=$(ctl user show al@example.com 2>&1) && rc=0 || rc=$?
expect_eq "row 19: ... and al@example.com is gone" 1 "$rc"
ul_stop

# ---- row 11: the socket's directory ----
start_refused() { # WHAT: the helper must exit at once, non-zero, saying why
	out=$(timeout 10 "$UL_BIN/unilogind" --config "$T/unilogin.conf" --foreground 2>&1) &&
		rc=0 || rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then
		pass "row 11: $1: the helper refuses to start (exit $rc)"
	else
		fail "row 11: $1: the helper ran (exit $rc)"
	fi
	expect_contains "row 11: $1: ... saying why" "$out" \
		"the socket's directory must be a directory of root or this helper's user that only its owner may write; refusing to start"
}
rm -rf "$T/run"
mkdir -m 0777 "$T/run"
start_refused "a socket directory of mode 0777"
chmod 0775 "$T/run"
start_refused "a socket directory of mode 0775"
chmod 0755 "$T/run"
chown nobody "$T/run"
start_refused "a socket directory owned by nobody"
rm -rf "$T/run"
mkdir -m 0755 "$T/elsewhere"
ln -s "$T/elsewhere" "$T/run"
start_refused "a symlink in place of the socket directory"
expect_eq "row 11: ... and nothing was made where the link points" "" "$(ls -A "$T/elsewhere")"
rm -f "$T/run"
# the control: a directory of root, 0755; the socket 0666 by bind, no chmod
mkdir -m 0755 "$T/run"
umask 077
strace -f -qq -e trace=bind,chmod,fchmod,fchmodat -o "$T/strace.out" \
	"$UL_BIN/unilogind" --config "$T/unilogin.conf" --foreground 2>>"$T/helper.log" &
SPID=$!
umask 022
i=0
while ! ctl status >/dev/null 2>&1 && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
expect_eq "row 11: (control) a 0755 directory of root: the helper serves" 0 \
	"$(ctl status >/dev/null 2>&1; echo $?)"
expect_eq "row 11: the socket is 0666, under a umask of 077" "666 socket" \
	"$(stat -c '%a %F' "$SOCK")"
HPID=$(ps -o pid= --ppid $SPID | tr -d ' ')
[ -z "$HPID" ] || kill -TERM "$HPID"
wait $SPID || true
expect_contains "row 11: (strace saw the socket made)" "$(cat "$T/strace.out")" "bind("
expect_eq "row 11: no chmod of anything after bind" "" \
	"$(grep 'chmod' "$T/strace.out" || true)"

# ---- row 12: uids of local users and groups ----
cp /etc/passwd "$T/passwd12"
cp /etc/group "$T/group12"
echo 'ulocal:x:2000000:2000000::/nonexistent:/usr/sbin/nologin' >>"$T/passwd12"
echo 'ulocalg:x:2000002:' >>"$T/group12"
cat >"$T/ns.sh" <<EOF
#!/bin/sh
# the helper with private /etc/passwd and /etc/group (it reads /etc files only)
mount --bind "$T/passwd12" /etc/passwd && mount --bind "$T/group12" /etc/group || exit 1
exec "\$@"
EOF
chmod 755 "$T/ns.sh"
ul_config "state_dir = $T/state12" "uid_min = 2000000" "uid_max = 2000005"
wrap=${UL_HELPER_WRAP:-}
UL_HELPER_WRAP="unshare -m --propagation private $T/ns.sh $wrap"
ul_start
UL_HELPER_WRAP=$wrap
ul_user ida@example.com
ul_user ike@example.com
ul_user ivy@example.com
uid_of() { ctl --json account show comms "$1" | sed -n 's/.*"uid":\([0-9]*\).*/\1/p'; }
ul_account comms ida ida@example.com
expect_eq "row 12: the first uid skips the local user at uid_min" 2000001 "$(uid_of ida)"
ul_account comms ike ike@example.com
expect_eq "row 12: the next skips the local group's gid" 2000003 "$(uid_of ike)"
out=$(ctl account add comms ivy --email ivy@example.com --uid 2000000 2>&1) && rc=0 || rc=$?
expect_eq "row 12: --uid of a local user is refused" 1 "$rc"
expect_contains "row 12: ... saying why" "$out" "uid 2000000 is a local user's or group's"
out=$(ctl account add comms ivy --email ivy@example.com --uid 2000002 2>&1) && rc=0 || rc=$?
expect_eq "row 12: --uid of a local group's gid is refused" 1 "$rc"
ul_stop

# ---- row 18: an admin in 300 supplementary groups ----
# The kernel reports a client's groups (SO_PEERGROUPS) however they were
# set: setpriv gives the client 300 groups, and the helper (in a mount
# namespace) finds the admin group, the 300th, in a private /etc/group;
# nothing of the machine's /etc changes.
cp /etc/group "$T/group18"
echo 'ulg300:x:3000300:' >>"$T/group18"
cat >"$T/ns18.sh" <<EOF
#!/bin/sh
mount --bind "$T/group18" /etc/group || exit 1
exec "\$@"
EOF
chmod 755 "$T/ns18.sh"
ul_config "admin_group = ulg300"
UL_HELPER_WRAP="unshare -m --propagation private $T/ns18.sh $wrap"
ul_start
UL_HELPER_WRAP=$wrap
groups300=$(seq -s, 3000001 3000300)
groups299=$(seq -s, 3000001 3000299)
as_member() { # GROUPS CMD...
	g=$1; shift
	setpriv --reuid=3000000 --regid=3000000 --groups="$g" "$@"
}
expect_eq "row 18: (the client has its gid and 300 supplementary groups)" 301 \
	"$(as_member "$groups300" id -G | wc -w)"
out=$(as_member "$groups300" "$UL_BIN/uniloginctl" --config "$T/unilogin.conf" status 2>&1) &&
	rc=0 || rc=$?
expect_eq "row 18: an admin in 300 groups (admin the last): \`status\` answers" 0 "$rc"
out=$(as_member "$groups300" "$UL_BIN/uniloginctl" --config "$T/unilogin.conf" user list 2>&1) &&
	rc=0 || rc=$?
expect_eq "row 18: an admin in 300 groups (admin the last): \`user list\` (admin only) is allowed" 0 "$rc"
[ "$rc" -eq 0 ] || echo "$out" | sed 's/^/#   /'
out=$(as_member "$groups299" "$UL_BIN/uniloginctl" --config "$T/unilogin.conf" user list 2>&1) &&
	rc=0 || rc=$?
expect_contains "row 18: (control) 299 groups without the admin group: refused" "$out" \
	"permission denied"
ul_done
