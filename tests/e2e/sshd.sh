#!/bin/sh
# End to end: a real OpenSSH sshd on a loopback port, with its own config,
# host key and PAM service (a copy of the sshd binary named ultest-sshd uses
# /etc/pam.d/ultest-sshd, written here and removed after), and the real ssh
# client answering the prompts on a terminal.  Product accounts resolve
# through libnss_unilogin in a private mount namespace (a private
# nsswitch.conf bind-mounted for sshd alone); a local admin for the S6
# fallback is made with useradd and removed after.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/e2e/lib.sh"
ul_no_sanitizers "sshd, sudo and su cannot load an instrumented module"
[ "$(id -u)" -eq 0 ] || ul_skip "needs root (sshd, /etc/pam.d/ultest-sshd)"
e2e_need_sshd
PAMFILE=/etc/pam.d/ultest-sshd
LOCAL=ultestadm
e2e_free "$PAMFILE"

SSHD_PID=
e2e_cleanup() {
	[ -z "$SSHD_PID" ] || kill "$SSHD_PID" 2>/dev/null || true
	rm -f "$PAMFILE"
	id "$LOCAL" >/dev/null 2>&1 && userdel -r "$LOCAL" >/dev/null 2>&1 || true
	ul_cleanup
}
trap e2e_cleanup EXIT

mkdir -p "$T/home"
ul_config "tfa_required = yes" "remember_days = 30" "timeout = 2" \
	"home_template = $T/home/%u" "shell = /bin/sh"
ul_start
for u in alice leg ban sus; do ul_user $u@example.com; done
ul_account comms alice alice@example.com
ul_totp_user alice@example.com 6
ALICE_SECRET=$SECRET
answers 'legacy password 1' | ctl --password-stdin account add comms leg \
	--email leg@example.com --legacy-password >/dev/null
for u in ban sus; do
	ul_account comms $u $u@example.com
	ul_totp_user $u@example.com 6
done
ctl account ban comms ban >/dev/null
ctl account suspend comms sus >/dev/null

e2e_stack >"$PAMFILE"

e2e_sshd_config_head >"$T/sshd_config"
cat >>"$T/sshd_config" <<EOF
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication no
AuthenticationMethods keyboard-interactive
UseDNS no
StrictModes no
MaxAuthTries 3
EOF
e2e_sshd ultest-sshd

ssh_as() { # USER ANSWER... : the transcript and "exit: N"
	user=$1; shift
	$DRIVE "$@" -- ssh -p "$PORT" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o PreferredAuthentications=keyboard-interactive \
		-o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 \
		"$user@127.0.0.1" 'echo "E2E-OK as $USER uid $(id -u)"'
}

# (the wrong code first: a full login remembers this host, T7)
out=$(ssh_as alice alice@example.com "$PASSWORD" 000000)
expect_lacks "sshd: a wrong code is refused" "$out" "E2E-OK"
expect_contains "sshd: ... and ssh gives up" "$out" "Permission denied"

out=$(ssh_as alice alice@example.com "$PASSWORD" "$(totp "$ALICE_SECRET" 6)")
expect_contains "sshd: asks Email" "$out" "Email:"
expect_contains "sshd: asks Password" "$out" "Password:"
expect_contains "sshd: asks the code" "$out" "Verification code:"
expect_contains "sshd: a linked user with TOTP runs a command" "$out" "E2E-OK as alice uid 900000000"
expect_contains "sshd: exit status 0" "$out" "exit: 0"

out=$(ssh_as leg 'legacy password 1')
expect_lacks "sshd: a legacy account is asked no email" "$out" "Email:"
expect_contains "sshd: a legacy account logs in with its password" "$out" "E2E-OK as leg"

out=$(ssh_as ban ban@example.com "$PASSWORD" 000000)
expect_contains "sshd: a banned account's message reaches the user" "$out" "This account is banned."
expect_lacks "sshd: ... and it is refused" "$out" "E2E-OK"
out=$(ssh_as sus sus@example.com "$PASSWORD" 000000)
expect_contains "sshd: a suspended account's message reaches the user" "$out" \
	"This account is suspended for billing and cannot be accessed."
expect_lacks "sshd: ... and it is refused" "$out" "E2E-OK"

# T7: a full login from 127.0.0.1 was remembered: no code this time
out=$(ssh_as alice alice@example.com "$PASSWORD")
expect_lacks "sshd: a remembered host is not asked the code" "$out" "Verification code:"
expect_contains "sshd: ... and logs in" "$out" "E2E-OK as alice"

# S6: the helper stopped: refused within timeout; local admins fall back
useradd -M -s /bin/sh "$LOCAL"
echo "$LOCAL:local admin password" | chpasswd
ul_stop
s=$(date +%s%N)
out=$(ssh_as alice alice@example.com "$PASSWORD" 000000)
e=$(date +%s%N)
expect_lacks "S6: helper stopped: a product account is refused" "$out" "E2E-OK"
ms=$(( (e - s) / 1000000 ))
echo "# refused after $ms ms with the helper stopped (timeout 2 s)"
if [ "$ms" -lt 3000 ]; then pass "S6: helper stopped: refused within timeout (+1 s)"
else fail "S6: helper stopped: the refusal took $ms ms"; fi
out=$(ssh_as "$LOCAL" 'local admin password')
expect_contains "S6: helper stopped: a local admin logs in through pam_unix" "$out" \
	"E2E-OK as $LOCAL"
logs=$(cat "$T/helper.log" "$T/sshd.log")
expect_lacks "S4: no password in the logs" "$logs" "$PASSWORD"
ul_done
