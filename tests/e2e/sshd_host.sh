#!/bin/sh
# End to end on a host in role = host (issue 16): tests/e2e/sshd.sh's
# real sshd on a loopback port (its own PAM service /etc/pam.d/ultest-
# sshd-host, written here and removed after; accounts through
# libnss_unilogin in a private mount namespace), on host h1 of the
# loopback fleet of tests/fleet/verifier_lib.sh: its unilogind holds no
# keys file, its replica no secret, and it relays the login to verifiers
# v1 and v2.  A full TOTP login over ssh works; a wrong code is refused;
# with v1 gone the next login goes to v2; with no verifier, refused.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/e2e/lib.sh"
ul_no_sanitizers "sshd cannot load an instrumented module"
[ "$(id -u)" -eq 0 ] || ul_skip "needs root (sshd, /etc/pam.d/ultest-sshd-host)"
e2e_need_sshd
. "$top_srcdir/tests/fleet/lib.sh"
. "$top_srcdir/tests/fleet/verifier_lib.sh"
PAMFILE=/etc/pam.d/ultest-sshd-host
e2e_free "$PAMFILE"

SSHD_PID=
vf_fleet_up
e2e_cleanup() {
	[ -z "$SSHD_PID" ] || kill "$SSHD_PID" 2>/dev/null || true
	rm -f "$PAMFILE"
	vf_cleanup
}
trap e2e_cleanup EXIT

mkdir -p "$T/home"
for n in v1 v2; do
	vf_conf "$n" "${n#v}" "tfa_required = yes" "totp_window = 3" \
		"home_template = $T/home/%u" "shell = /bin/sh"
done
vf_conf h1 1 "tfa_required = yes" "timeout = 2"
vf_start v1; vf_start v2; vf_start h1
# the module, NSS and sshd read h1's config
cp "$T/h1/unilogin.conf" "$T/unilogin.conf"
vf_user v1 alice@example.com
vf_totp v1 alice@example.com
fleet_synced c1

expect_eq "h1 holds no keys file" no "$([ -e "$T/h1/state/keys" ] && echo yes || echo no)"
expect_eq "h1's replica holds no password hash or sealed seed" 0 \
	"$(slapcat -f "$FLEET_DIR/c1/slapd.conf" 2>/dev/null | grep -ci '^\(uniPwHash\|uniSealedSeed\):' || true)"

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
e2e_sshd ultest-sshd-host

ssh_as() { # USER ANSWER... : the transcript and "exit: N"
	user=$1; shift
	$DRIVE "$@" -- ssh -p "$PORT" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o PreferredAuthentications=keyboard-interactive \
		-o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 \
		"$user@127.0.0.1" 'echo "E2E-OK as $USER uid $(id -u)"'
}

out=$(ssh_as alice alice@example.com "$PASSWORD" 000000)
expect_lacks "sshd on a host: a wrong code is refused" "$out" "E2E-OK"

out=$(ssh_as alice alice@example.com "$PASSWORD" "$(totp "$SECRET" 6)")
expect_contains "sshd on a host: asks the code" "$out" "Verification code:"
expect_contains "sshd on a host: a TOTP login through a verifier runs a command" "$out" \
	"E2E-OK as alice uid 900000000"
expect_contains "sshd on a host: exit status 0" "$out" "exit: 0"
expect_contains "... v1 verified it" "$(cat "$T/v1/log")" "email=alice@example.com"

vf_stop v1
out=$(ssh_as alice alice@example.com "$PASSWORD" "$(totp "$SECRET" 6 +30)")
expect_contains "sshd on a host: v1 stopped, v2 verifies the next login" "$out" \
	"E2E-OK as alice uid 900000000"

vf_stop v2
out=$(ssh_as alice alice@example.com "$PASSWORD" "$(totp "$SECRET" 6 +60)")
expect_lacks "sshd on a host: no verifier reachable: refused" "$out" "E2E-OK"
expect_contains "... and the host says why" "$(cat "$T/h1/log")" "no verifier reachable"
logs=$(cat "$T/h1/log" "$T/v1/log" "$T/v2/log" "$T/sshd.log")
expect_lacks "S4: no password in the logs" "$logs" "$PASSWORD"
vf_done
