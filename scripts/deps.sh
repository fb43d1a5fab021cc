#!/bin/sh
# Installs the Debian 12 packages unilogin needs to build, test and demo,
# and to build its own packages (debhelper, devscripts, lintian), when
# some are missing.  Run as root; the README's commands call it.
set -eu

PACKAGES="
build-essential autoconf automake libtool pkg-config
libpam0g-dev libsodium-dev liboath-dev liblmdb-dev libqrencode-dev
libjson-c-dev libcmocka-dev libidn2-dev
oathtool lmdb-utils python3 util-linux faketime libnss-wrapper
openssh-server openssh-client sudo python3-pexpect systemd man-db groff-base
valgrind clang libclang-rt-14-dev
pamtester libpam-wrapper libpam-oath libpam-google-authenticator
debhelper devscripts lintian
libargon2-dev whois
libcrypt-dev
slapd ldap-utils libldap-dev
libgnutls28-dev openssl
"

missing=
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	echo "== installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
