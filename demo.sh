#!/bin/sh
# The README's first command: installs what is missing, builds, starts a
# helper on a temporary state dir and socket, creates a demo user and
# account, and logs in through the real PAM stack, printing each step.
set -eu
cd "$(dirname "$0")"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "Installing what is missing (Debian packages)"
./scripts/deps.sh
step "Building"
./scripts/build.sh >/dev/null
echo "built unilogind, uniloginctl, unilogin and pam_unilogin.so"

T=$(mktemp -d /tmp/unilogin-demo.XXXXXX)
chmod 755 "$T"
HELPER=
cleanup() {
	[ -z "$HELPER" ] || kill "$HELPER" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

cat >"$T/unilogin.conf" <<CONF
# the demo's config: a temporary socket and store
product = demo
socket = $T/run/unilogin.sock
state_dir = $T/state
kdf = interactive
CONF
step "Starting unilogind with $T/unilogin.conf"
cat "$T/unilogin.conf"
./unilogind --config "$T/unilogin.conf" --foreground 2>"$T/helper.log" &
HELPER=$!
ctl() { ./uniloginctl --config "$T/unilogin.conf" "$@"; }
i=0
until ctl status >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 200 ] || { cat "$T/helper.log"; exit 1; }
	sleep 0.05
done
ctl status

EMAIL=alice@example.com
PASSWORD='demo password 42'
step "An admin adds a product, and a unified user (U2: it gets a confirmation code)"
run ./uniloginctl --config "$T/unilogin.conf" product add demo --display "Demo Product"
ctl user add "$EMAIL" | tee "$T/add.out"
CODE=$(sed -n 's/^confirmation_code: //p' "$T/add.out")

step "The user confirms the email and sets the first password"
echo "$ unilogin verify $EMAIL   (answers: the code, then the password)"
printf '%s\n%s\n' "$CODE" "$PASSWORD" |
	./unilogin --config "$T/unilogin.conf" --password-stdin verify "$EMAIL"

step "The admin adds a product account owned by that user (Unix user alice)"
run ./uniloginctl --config "$T/unilogin.conf" account add demo alice --email "$EMAIL"

step "The admin enrolls an authenticator app for the user (T2): a QR code, a secret"
echo "$ uniloginctl tfa enroll $EMAIL"
ctl tfa enroll "$EMAIL" | tee "$T/enroll.out"
SECRET=$(sed -n 's/^secret: //p' "$T/enroll.out")

step "The user confirms with one code from the app (here: oathtool); recovery codes come back"
CODE=$(oathtool --totp -b -N "now - 30 seconds" "$SECRET")
echo "$ oathtool --totp -b -N 'now - 30 seconds' \$SECRET   ->  $CODE"
run ./uniloginctl --config "$T/unilogin.conf" tfa confirm "$EMAIL" "$CODE"

step "A PAM service using pam_unilogin.so"
mkdir -p "$T/pam.d"
printf 'auth    required %s conf=%s\naccount required %s conf=%s\n' \
	"$PWD/.libs/pam_unilogin.so" "$T/unilogin.conf" \
	"$PWD/.libs/pam_unilogin.so" "$T/unilogin.conf" >"$T/pam.d/demo-login"
cat "$T/pam.d/demo-login"

CODE=$(oathtool --totp -b "$SECRET")
step "Logging in as alice through the real libpam (answering: $EMAIL, the password, $CODE from oathtool)"
printf '%s\n%s\n%s\n' "$EMAIL" "$PASSWORD" "$CODE" |
	./tests/pamdrive -d "$T/pam.d" demo-login alice | sed 's/^/  /'

step "The same code again (T3: a step is accepted once)"
printf '%s\n%s\n%s\n' "$EMAIL" "$PASSWORD" "$CODE" |
	./tests/pamdrive -d "$T/pam.d" demo-login alice | sed 's/^/  /' || true

step "A wrong password: the code is asked too, and the answer is the same (S1)"
printf '%s\n%s\n%s\n' "$EMAIL" 'not the password' "$CODE" |
	./tests/pamdrive -d "$T/pam.d" demo-login alice | sed 's/^/  /' || true

step "What the helper logged"
sed 's/^/  /' "$T/helper.log"
