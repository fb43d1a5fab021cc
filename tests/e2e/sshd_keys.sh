#!/bin/sh
# End to end (K1): a real OpenSSH sshd on a loopback port asks
# unilogin-keys for the keys of the account (AuthorizedKeysCommand, run as
# an unprivileged user of its own) and requires `publickey,
# keyboard-interactive`; the PAM module then asks only the code of the
# key's user.  A copy of sshd named ultest-ksshd uses /etc/pam.d/ultest-ksshd
# (written here, removed after); the keys user is made with useradd and
# removed after; unilogin-keys is copied to a root-owned directory under
# /run, as sshd wants for an AuthorizedKeysCommand.  Run under
# /tmp/ul-system.lock (it changes the system).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/e2e/lib.sh"
ul_no_sanitizers "sshd cannot load an instrumented module"
[ "$(id -u)" -eq 0 ] || ul_skip "needs root (sshd, useradd, /etc/pam.d/ultest-ksshd)"
e2e_need_sshd
PAMFILE=/etc/pam.d/ultest-ksshd
KEYSUSER=ultestkeys
e2e_free "$PAMFILE"
id "$KEYSUSER" >/dev/null 2>&1 && ul_skip "user $KEYSUSER exists already: another run?"

SSHD_PID= BIN=
e2e_cleanup() {
	[ -z "$SSHD_PID" ] || kill "$SSHD_PID" 2>/dev/null || true
	rm -f "$PAMFILE"
	[ -z "$BIN" ] || rm -rf "$BIN"
	id "$KEYSUSER" >/dev/null 2>&1 && userdel "$KEYSUSER" >/dev/null 2>&1 || true
	ul_cleanup
}
trap e2e_cleanup EXIT

useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$KEYSUSER"
mkdir -p "$T/home"
ul_config "tfa_required = yes" "timeout = 2" "home_template = $T/home/%u" \
	"shell = /bin/sh" "ssh_service = ultest-ksshd" "keys_user = $KEYSUSER"
ul_start
for u in alice bob carol; do ul_user $u@example.com; done
ul_account comms alice alice@example.com
ul_account comms carol carol@example.com
ctl account invite comms alice bob@example.com >/dev/null
for u in alice bob carol; do
	ul_totp_user $u@example.com 6
	eval "SECRET_$u=\$SECRET"
	ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$T/$u.key"
	ctl sshkey add $u@example.com "$T/$u.key.pub" >/dev/null
done

e2e_stack >"$PAMFILE"
# sshd runs an AuthorizedKeysCommand only from a path that root alone can
# change, every directory up to / included
BIN=$(mktemp -d /run/ultest-keys.XXXXXX)
chmod 755 "$BIN"
install -m 755 "$top_builddir/unilogin-keys" "$BIN/unilogin-keys"

# the shape of examples/sshd_config.d/unilogin.conf, for every user here
e2e_sshd_config_head >"$T/sshd_config"
cat >>"$T/sshd_config" <<EOF
PubkeyAuthentication yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
AuthenticationMethods publickey,keyboard-interactive
AuthorizedKeysFile none
AuthorizedKeysCommand $BIN/unilogin-keys --config $T/unilogin.conf %u
AuthorizedKeysCommandUser $KEYSUSER
ExposeAuthInfo yes
UseDNS no
StrictModes no
MaxAuthTries 3
LogLevel VERBOSE
EOF
e2e_sshd ultest-ksshd

ssh_key() { # KEY USER ANSWER... : the transcript and "exit: N"
	k=$1 user=$2; shift 2
	$DRIVE "$@" -- ssh -p "$PORT" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o IdentityAgent=none \
		-i "$T/$k.key" -o PreferredAuthentications=publickey,keyboard-interactive \
		-o NumberOfPasswordPrompts=1 \
		"$user@127.0.0.1" 'echo "E2E-OK as $USER uid $(id -u)"'
}

out=$(ssh_key alice alice "$(totp "$SECRET_alice" 6)")
expect_contains "sshd: the owner's key, then the code: logged in" "$out" "E2E-OK as alice uid 900000000"
expect_contains "sshd: ... the code is asked" "$out" "Verification code:"
expect_lacks "sshd: ... and no Email:" "$out" "Email:"
expect_lacks "sshd: ... and no Password:" "$out" "Password:"
expect_contains "sshd: ... exit status 0" "$out" "exit: 0"
out=$(setpriv --reuid="$KEYSUSER" --regid="$KEYSUSER" --clear-groups \
	"$BIN/unilogin-keys" --config "$T/unilogin.conf" alice 2>&1 || true)
expect_contains "unilogin-keys answers as its own unprivileged user" "$out" \
	"$(awk '{print $1" "$2}' "$T/alice.key.pub")"
hist=$(ctl --json sessions --account alice)
expect_contains "L11: the session names the key's user" "$hist" '"email":"alice@example.com"'
expect_contains "L11: ... and its fingerprint" "$hist" \
	"\"fingerprint\":\"$(ssh-keygen -lf "$T/alice.key.pub" | awk '{print $2}')\""

out=$(ssh_key bob alice "$(totp "$SECRET_bob" 6)")
expect_contains "sshd: a teammate's key logs in to the shared account (L7)" "$out" "E2E-OK as alice"
expect_lacks "sshd: ... asked no email" "$out" "Email:"

out=$(ssh_key carol alice "$(totp "$SECRET_carol" 6)")
expect_lacks "sshd: a key of a user without access is refused" "$out" "E2E-OK"
expect_lacks "sshd: ... at the key step (no code asked)" "$out" "Verification code:"

out=$(ssh_key alice alice 000000)
expect_lacks "sshd: the key with a wrong code is refused" "$out" "E2E-OK"
expect_contains "sshd: ... the code was asked" "$out" "Verification code:"

ctl account remove comms alice bob@example.com >/dev/null
out=$(ssh_key bob alice "$(totp "$SECRET_bob" 6 30)")
expect_lacks "sshd: after account remove, the teammate's key is refused" "$out" "E2E-OK"
expect_lacks "sshd: ... at the key step" "$out" "Verification code:"
expect_contains "sshd: ... publickey denied" "$out" "Permission denied (publickey)"

ctl account ban comms carol >/dev/null
out=$(ssh_key carol carol "$(totp "$SECRET_carol" 6 30)")
expect_lacks "sshd: a banned account's owner key is refused" "$out" "E2E-OK"
expect_lacks "sshd: ... at the key step" "$out" "Verification code:"

ul_stop
out=$(ssh_key alice alice "$(totp "$SECRET_alice" 6 30)")
expect_lacks "sshd: helper stopped: no key is offered, refused" "$out" "E2E-OK"
expect_contains "sshd: ... at the key step" "$out" "Permission denied (publickey)"
logs=$(cat "$T/helper.log" "$T/sshd.log")
expect_lacks "S4: no password in the logs" "$logs" "$PASSWORD"
ul_done
