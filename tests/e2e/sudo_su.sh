#!/bin/sh
# End to end: real sudo and real su through PAM services that use
# pam_unilogin.so.  sudo takes its service from a sudoers drop-in
# (/etc/sudoers.d/ultest, with /etc/pam.d/ultest-sudo); su gets a private
# /etc/pam.d/su in a mount namespace.  Both are setuid, so they resolve the
# product account from files: a local user with the account's name and uid
# (inside uid_min..uid_max) is made with useradd and removed after.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/e2e/lib.sh"
ul_no_sanitizers "sshd, sudo and su cannot load an instrumented module"
[ "$(id -u)" -eq 0 ] || ul_skip "needs root (sudoers drop-in, useradd, mount namespace)"
command -v sudo >/dev/null && command -v su >/dev/null || ul_skip "needs sudo and su"
/usr/bin/python3 -c 'import pexpect' 2>/dev/null || ul_skip "needs python3-pexpect"
command -v oathtool >/dev/null || ul_skip "needs oathtool"
DRIVE="/usr/bin/python3 $top_srcdir/tests/e2e/drive.py"
NAME=ultestpam
UID_=900000777
SUDOERS=/etc/sudoers.d/ultest
PAMFILE=/etc/pam.d/ultest-sudo
e2e_free "$SUDOERS" "$PAMFILE"
id "$NAME" >/dev/null 2>&1 && ul_skip "user $NAME exists already"

e2e_cleanup() {
	rm -f "$SUDOERS" "$PAMFILE"
	id "$NAME" >/dev/null 2>&1 && userdel "$NAME" >/dev/null 2>&1 || true
	ul_cleanup
}
trap e2e_cleanup EXIT

ul_config "tfa_required = yes"
ul_start
ul_user pat@example.com
ul_account comms "$NAME" pat@example.com --uid "$UID_"
ul_totp_user pat@example.com 6
useradd -M -N -u "$UID_" -s /bin/sh "$NAME" 2>/dev/null

e2e_stack >"$PAMFILE"
{ e2e_mark; printf 'Defaults:%s pam_service=ultest-sudo, passwd_tries=1, !lecture\n%s ALL=(ALL) ALL\n' \
	"$NAME" "$NAME"; } >"$SUDOERS"
chmod 440 "$SUDOERS"
visudo -cf "$SUDOERS" >/dev/null || { fail "the sudoers drop-in does not parse"; ul_done; }

as_user() { setpriv --reuid="$UID_" --regid=65534 --clear-groups "$@"; }

out=$($DRIVE pat@example.com "$PASSWORD" "$(totp "$SECRET" 6)" -- \
	setpriv --reuid="$UID_" --regid=65534 --clear-groups sudo -k -- id -u)
expect_contains "sudo: asks Email" "$out" "Email:"
expect_contains "sudo: asks the code" "$out" "Verification code:"
expect_eq "sudo: the command runs as root" 0 "$(echo "$out" | grep -x '[0-9][0-9]*' | tail -1)"
expect_contains "sudo: exit status 0" "$out" "exit: 0"
out=$($DRIVE pat@example.com "$PASSWORD" 000000 -- \
	setpriv --reuid="$UID_" --regid=65534 --clear-groups sudo -k -- id -u)
# sudo asks with PAM_SILENT: the module's messages stay quiet, sudo says it
expect_contains "sudo: a wrong code is refused" "$out" "sudo: 1 incorrect password attempt"
expect_contains "sudo: ... and sudo exits 1" "$out" "exit: 1"
expect_lacks "sudo: ... and nothing runs" "$(echo "$out" | grep -x '[0-9][0-9]*' || true)" "0"

e2e_stack >"$T/su.pam"
su_as() { # run su NAME -c 'id -u' as nobody, with the private /etc/pam.d/su
	unshare -m --propagation private sh -c '
		mount --bind "$1" /etc/pam.d/su || exit 1
		shift
		exec "$@"' sh "$T/su.pam" $DRIVE "$@" -- \
		setpriv --reuid=nobody --regid=nogroup --clear-groups su "$NAME" -c 'id -u'
}
out=$(su_as pat@example.com "$PASSWORD" "$(totp "$SECRET" 6 +30)")
expect_contains "su: asks Email" "$out" "Email:"
expect_eq "su: the shell runs as the account" "$UID_" "$(echo "$out" | grep -x '[0-9][0-9]*' | tail -1)"
expect_contains "su: exit status 0" "$out" "exit: 0"
out=$(su_as pat@example.com 'wrong password' 000000)
expect_contains "su: a wrong password is refused" "$out" "Authentication failed."
expect_lacks "su: ... nothing runs" "$out" "$UID_"
ul_done
