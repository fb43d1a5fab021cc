#!/bin/sh
# The Debian packages (issue 18), as an admin uses them: builds
# libpam-unilogin, libnss-unilogin and unilogin from a clean clone with
# dpkg-buildpackage, runs lintian on them, installs them on this machine
# with dpkg -i, enables the pam-auth-update profile and logs in through
# the resulting common-auth with pamtester (the helper is the packaged
# one, started as its unit would start it).  Then remove, reinstall,
# purge, each twice; a second round creates the helper's user with
# adduser (systemd-sysusers hidden).
#
# The machine's own auth config is never touched: everything after the
# build runs in a mount namespace with private copies of /etc (pam.d,
# nsswitch.conf, passwd, the units' symlinks, the conffile), /var/lib/pam,
# debconf's state and deb-systemd-helper's state, and a private /run.
# The outer half compares the real files before and after, and the inner
# half purges the packages on any exit.  Skipped in make distcheck (not a
# git checkout), in the sanitizer build and inside a package build.
# shellcheck disable=SC2086 # $PKGS and $DEBS are lists, split on purpose

PKGS="libpam-unilogin libnss-unilogin unilogin"

# dpkg's view of a package: "installed", "config-files", ... or "absent".
pkg_state() {
	s=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || s=absent
	case "$s" in
	*not-installed | absent) echo absent ;;
	*) echo "${s##* }" ;;
	esac
}

# ---- outer half: skips, then the namespace, then the real files ----

if [ "${1:-}" != --inside ]; then
	set -eu
	skip() { echo "SKIP: $*"; exit 77; }
	: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
	export top_srcdir top_builddir="${top_builddir:-$top_srcdir}"
	[ -z "${UL_PACKAGE_BUILD:-}" ] || skip "inside a package build (it would build itself)"
	[ "${UL_SANITIZERS:-no}" != yes ] ||
		skip "not in a sanitizer build: the packages are built without sanitizers"
	[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg -i, a mount namespace)"
	command -v git >/dev/null || skip "needs git to clone the tree"
	top=$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null) || top=
	[ "$top" = "$(cd "$top_srcdir" && pwd -P)" ] ||
		skip "not a git checkout (make distcheck builds from the tarball, without debian/)"
	for c in dpkg-buildpackage dh lintian pam-auth-update pamtester oathtool unshare setpriv; do
		command -v "$c" >/dev/null ||
			skip "needs $c (scripts/deps.sh installs debhelper, devscripts, lintian, pamtester, oathtool)"
	done
	for p in $PKGS; do
		s=$(pkg_state "$p")
		[ "$s" = absent ] || skip "$p is on this machine already ($s): dpkg -P it first"
	done
	multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
	for f in /var/lib/unilogin /usr/sbin/unilogind /lib/$multiarch/security/pam_unilogin.so \
	    /lib/$multiarch/libnss_unilogin.so.2; do
		[ ! -e "$f" ] || skip "$f exists (a make install?): the packages would replace it and purge would delete it"
	done

	real="/etc/nsswitch.conf /etc/pam.d/common-auth /etc/pam.d/common-account
	    /etc/pam.d/common-password /etc/pam.d/common-session /var/lib/pam/seen"
	before=$(sha256sum $real 2>&1; getent passwd unilogin || true)
	rc=0
	unshare -m --propagation private /bin/sh "$0" --inside || rc=$?
	after=$(sha256sum $real 2>&1; getent passwd unilogin || true)
	if [ "$before" = "$after" ]; then
		echo "PASS: the machine's nsswitch.conf, common-*, /var/lib/pam/seen and users are unchanged"
	else
		echo "FAIL: the machine's own auth config changed:"
		printf '%s\n' "$before" >"${TMPDIR:-/tmp}/ultest-deb.before"
		printf '%s\n' "$after" | diff "${TMPDIR:-/tmp}/ultest-deb.before" - | sed 's/^/#   /'
		rm -f "${TMPDIR:-/tmp}/ultest-deb.before"
		rc=1
	fi
	for p in $PKGS; do
		s=$(pkg_state "$p")
		if [ "$s" != absent ]; then
			echo "FAIL: $p is still on this machine ($s): purge it with dpkg -P"
			rc=1
		fi
	done
	exit "$rc"
fi

# ---- inner half, in the mount namespace ----

. "$top_srcdir/tests/lib.sh"
export DEBIAN_FRONTEND=noninteractive   # debconf (pam-auth-update) never asks
UNIT=/lib/systemd/system/unilogind.service
ACCOUNT=ultestdeb
ACCOUNT_UID=900000779
ROOT_PASSWORD='root for the deb test'
NEW_PASSWORD='a new unified password'
SYSUSERS_HIDDEN=
# the packaged tools, on the packaged config
ctl() { /usr/sbin/uniloginctl "$@"; }
self() { /usr/bin/unilogin "$@"; }

installed_pkgs() {
	for p in $PKGS; do [ "$(pkg_state "$p")" = absent ] || printf '%s ' "$p"; done
}

deb_cleanup() {
	[ -z "$HELPER_PID" ] || ul_reap
	left=$(installed_pkgs)
	if [ -n "$left" ]; then
		echo "# purging what is left: $left"
			dpkg -P $left >>"$T/dpkg.log" 2>&1 || echo "# dpkg -P failed: see $T/dpkg.log"
	fi
	[ -z "$SYSUSERS_HIDDEN" ] || umount "$SYSUSERS_HIDDEN" 2>/dev/null || true
	ul_cleanup
}
trap deb_cleanup EXIT

# Private copies of everything the maintainer scripts and pam-auth-update
# write, bound over the real paths for this namespace only.
private_copies() {
	cp -a /etc "$T/etc"
	mount --bind "$T/etc" /etc
	for d in /var/lib/pam /var/cache/debconf /var/lib/systemd/deb-systemd-helper-enabled; do
		[ -d "$d" ] || continue
		mkdir -p "$T/private$d"
		cp -a "$d/." "$T/private$d/"
		mount --bind "$T/private$d" "$d"
	done
	# no systemd behind it: the scripts take their path without systemd
	mount -t tmpfs -o mode=0755 ultest-run /run
	touch /etc/.ultest-deb /var/lib/pam/.ultest-deb
	if [ ! -e "$T/etc/.ultest-deb" ] || [ ! -e "$T/private/var/lib/pam/.ultest-deb" ]; then
		echo "the private copies are not in place"
		exit 99
	fi
	rm -f /etc/.ultest-deb /var/lib/pam/.ultest-deb
}

# dpkg ARGS...: dpkg's output goes to $T/dpkg.log; prints its status.
dpkg_run() {
	echo "== dpkg $*" >>"$T/dpkg.log"
	dpkg "$@" >>"$T/dpkg.log" 2>&1 && echo 0 || echo $?
}

states() { for p in $PKGS; do printf '%s=%s ' "$p" "$(pkg_state "$p")"; done; }

# pamt USER OPERATION... < answers: pamtester through the service
# ultest-deb (common-auth, -account, -password); prints output and status.
pamt() {
	user=$1; shift
	pamtester -v ultest-deb "$user" "$@" 2>&1 && echo "status: 0" || echo "status: $?"
}

# The packaged helper as its unit starts it: the unit's ExecStart, as the
# unit's User=, with its umask, on the runtime directory systemd would make.
start_helper() {
	user=$(sed -n 's/^User=//p' "$UNIT")
	install -d -m 0755 -o "$user" -g "$user" /run/unilogin
	# shellcheck disable=SC2046
	(umask 077; exec setpriv --reuid="$user" --regid="$user" --init-groups \
		$(sed -n 's/^ExecStart=//p' "$UNIT")) 2>>"$T/helper.log" &
	HELPER_PID=$!
	ul_wait_ready
}

nss_lines() { grep -E '^(passwd|group|shadow|gshadow):' /etc/nsswitch.conf; }
names_unilogin() { # FILE: the lines of FILE that name pam_unilogin
	grep -v '^#' "$1" | grep pam_unilogin || true
}
before_unix() { # FILE: "yes" when pam_unilogin comes before pam_unix
	awk '/^[^#].*pam_unilogin\.so/ && !u {u=NR} /^[^#].*pam_unix\.so/ && !x {x=NR}
	    END {print (u && x && u < x) ? "yes" : "no"}' "$1"
}

# ---- build from a clean clone, and lintian ----

head=$(git -C "$top_srcdir" rev-parse HEAD)
[ -z "$(git -C "$top_srcdir" status --porcelain)" ] ||
	echo "# note: uncommitted changes are not in the build (a clean clone of $head)"
git clone -q "$top_srcdir" "$T/src"
git -C "$T/src" checkout -q --detach "$head"
# nocheck: the package's own make check is this suite, already running
if (cd "$T/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
    dpkg-buildpackage -us -uc -b -Pnocheck) >"$T/build.log" 2>&1; then
	pass "dpkg-buildpackage -us -uc -b builds from a clean clone"
else
	tail -40 "$T/build.log" | sed 's/^/#   /'
	fail "dpkg-buildpackage -us -uc -b"
	ul_done
fi
DEBS=
for p in $PKGS; do
	deb=$(ls "$T/${p}_"*.deb 2>/dev/null || true)
	[ -n "$deb" ] || { fail "no $p .deb was built"; ul_done; }
	DEBS="$DEBS $deb"
done
expect_contains "the PAM module is in libpam-unilogin" "$(dpkg-deb -c "$T"/libpam-unilogin_*.deb)" \
	"/security/pam_unilogin.so"
expect_contains "... with its pam-auth-update profile" "$(dpkg-deb -c "$T"/libpam-unilogin_*.deb)" \
	"./usr/share/pam-configs/unilogin"
expect_contains "the NSS module is in libnss-unilogin" "$(dpkg-deb -c "$T"/libnss-unilogin_*.deb)" \
	"libnss_unilogin.so.2"
contents=$(dpkg-deb -c "$T"/unilogin_*.deb)
for f in ./usr/sbin/unilogind ./usr/sbin/uniloginctl ./usr/bin/unilogin \
    ./usr/sbin/unilogin-keys ./usr/share/man/man8/unilogin-keys.8.gz \
    ./usr/share/doc/unilogin/examples/sshd_config.d/unilogin.conf \
    ./lib/systemd/system/unilogind.socket ./lib/systemd/system/unilogind.service \
    ./usr/lib/sysusers.d/unilogin.conf ./etc/unilogin/unilogin.conf \
    ./usr/share/man/man8/unilogind.8.gz ./usr/share/doc/unilogin/examples/pam.d/sshd; do
	expect_contains "unilogin ships $f" "$contents" "$f"
done
# lintian as nobody (it warns about root); overridden tags do not count
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp \
	lintian --fail-on error,warning --tag-display-limit 0 --display-info \
	"$T"/unilogin_*_*.changes 2>&1) && rc=0 || rc=$?
[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/# lintian: /'
expect_eq "lintian: no error and no warning (the kept ones are overridden, debian/README.source)" 0 "$rc"

# ---- install, in the namespace ----

private_copies
# from the stock common-* of this machine's profiles, so that a local edit
# of the machine's files (copied here) cannot stop pam-auth-update
pam-auth-update --package --force >>"$T/dpkg.log" 2>&1 ||
	{ cat "$T/dpkg.log"; echo "pam-auth-update --force on the private copy failed"; exit 99; }
printf 'root:%s\n' "$ROOT_PASSWORD" | chpasswd
printf '@include common-%s\n' auth account password >/etc/pam.d/ultest-deb

expect_eq "dpkg -i installs the three packages" 0 "$(dpkg_run -i $DEBS)"
expect_eq "... all three installed" \
	"libpam-unilogin=installed libnss-unilogin=installed unilogin=installed " "$(states)"
pw=$(getent passwd unilogin || true)
expect_eq "the helper's user: home and shell of the sysusers file" \
	"/var/lib/unilogin:/usr/sbin/nologin" "$(echo "$pw" | cut -d: -f6,7)"
uid=$(echo "$pw" | cut -d: -f3)
expect_eq "... a system uid" yes "$([ -n "$uid" ] && [ "$uid" -lt 1000 ] && echo yes || echo "no ($uid)")"
expect_eq "the store directory: 0700, the helper's" "700 unilogin" "$(stat -c '%a %U' /var/lib/unilogin)"
kpw=$(getent passwd unilogin-keys || true)
expect_eq "unilogin-keys' own user (K1): no home, no shell, not the helper's" \
	"/:/usr/sbin/nologin" "$(echo "$kpw" | cut -d: -f6,7)"
expect_eq "unilogind.socket is enabled" /lib/systemd/system/unilogind.socket \
	"$(readlink /etc/systemd/system/sockets.target.wants/unilogind.socket || true)"
expect_eq "unilogind.service itself is not enabled (socket activation)" no \
	"$([ -e /etc/systemd/system/multi-user.target.wants/unilogind.service ] && echo yes || echo no)"
expect_eq "nsswitch.conf: unilogin added to passwd, group and shadow, not gshadow" \
	"passwd group shadow" "$(nss_lines | awk '/ unilogin$/ {sub(":", "", $1); printf "%s%s", s, $1; s=" "}')"
expect_eq "the maintainer scripts edited the private nsswitch.conf" yes \
	"$(grep -q unilogin "$T/etc/nsswitch.conf" && echo yes || echo no)"
expect_eq "the profile is not enabled at install" "" "$(names_unilogin /etc/pam.d/common-auth)"
expect_contains "... but pam-auth-update knows it" "$(cat /var/lib/pam/seen)" unilogin

uid_before=$uid
expect_eq "dpkg -i again (the same version) works" 0 "$(dpkg_run -i $DEBS)"
expect_eq "... the helper's user is the same" "$uid_before" "$(id -u unilogin)"
expect_eq "... nsswitch.conf names unilogin once a line" "1 1 1" \
	"$(for db in passwd group shadow; do grep "^$db:" /etc/nsswitch.conf | grep -o unilogin | wc -l; done | xargs)"

# ---- the admin's steps: product, helper, pam-auth-update ----

printf '%s\n' "product = comms" "kdf = 1:8" "kdf_parallel = 2" "timeout = $UL_TIMEOUT" \
	>>/etc/unilogin/unilogin.conf
out=$(/usr/sbin/unilogind --check-config 2>&1) && rc=0 || rc=$?
expect_eq "the packaged config with a product checks clean" "0:" "$rc:$out"
start_helper
ul_user pat@example.com
ul_account comms "$ACCOUNT" pat@example.com --uid "$ACCOUNT_UID"
ul_totp_user pat@example.com 6
expect_eq "the product account resolves through libnss_unilogin" "$ACCOUNT_UID" \
	"$(getent passwd "$ACCOUNT" | cut -d: -f3)"

out=$(pam-auth-update --enable unilogin --package 2>&1) && rc=0 || rc=$?
expect_eq "pam-auth-update --enable unilogin --package" "0:" "$rc:$out"
for t in auth account password; do
	expect_eq "common-$t: unilogin comes before pam_unix" yes "$(before_unix /etc/pam.d/common-$t)"
done
expect_contains "common-auth: the control values of INTERFACES.md" "$(names_unilogin /etc/pam.d/common-auth)" \
	"user_unknown=ignore authinfo_unavail=die default=die]"
expect_contains "common-account: the control values of INTERFACES.md" \
	"$(names_unilogin /etc/pam.d/common-account)" "[success=ok user_unknown=ignore default=die]"
expect_contains "common-password: the control values of INTERFACES.md" \
	"$(names_unilogin /etc/pam.d/common-password)" "user_unknown=ignore default=die]"
expect_eq "common-session: no unilogin line (the examples carry it)" "" \
	"$(names_unilogin /etc/pam.d/common-session)"

code=$(totp "$SECRET" 6)
wrong=$code
while [ "$wrong" = "$code" ] || [ "$wrong" = "$(totp "$SECRET" 6 -30)" ] ||
    [ "$wrong" = "$(totp "$SECRET" 6 +30)" ]; do
	wrong=$(awk -v c="$wrong" 'BEGIN {printf "%06d", (c + 1) % 1000000}')
done
out=$(answers pat@example.com "$PASSWORD" "$wrong" | pamt "$ACCOUNT" authenticate)
expect_contains "common-auth: a wrong code fails" "$out" "Authentication failure"
expect_lacks "... and is not passed on to pam_unix" "$out" "successfully authenticated"
out=$(answers pat@example.com "$PASSWORD" "$code" | pamt "$ACCOUNT" authenticate acct_mgmt)
expect_contains "common-auth: the product account with a TOTP code logs in" "$out" \
	"successfully authenticated"
expect_contains "common-account: and passes the account check (shadow through NSS)" "$out" \
	"account management done"
expect_contains "... status 0" "$out" "status: 0"

# common-password: pam_unix comes second there, with use_authtok
out=$(answers pat@example.com "$PASSWORD" "$RECOVERY" "$NEW_PASSWORD" "$NEW_PASSWORD" |
	pamt "$ACCOUNT" chauthtok)
expect_contains "common-password: the product account changes its unified password" "$out" \
	"authentication token altered successfully"
ROOT_PASSWORD="$ROOT_PASSWORD, changed"
out=$(answers "$ROOT_PASSWORD" "$ROOT_PASSWORD" | pamt root chauthtok)
expect_contains "common-password: root changes its password (pam_unix)" "$out" \
	"authentication token altered successfully"
useradd -M -s /usr/sbin/nologin ultestlocal
out=$(printf 'ultestlocal:%s\n' "$PASSWORD" | chpasswd 2>&1) && rc=0 || rc=$?
expect_eq "common-password: chpasswd sets a local user's password" "0:" "$rc:$out"
out=$(answers "$PASSWORD" | pamt ultestlocal authenticate)
expect_contains "... which logs in through common-auth" "$out" "successfully authenticated"

expect_eq "dpkg -i again with the profile on (the upgrade path) works" 0 "$(dpkg_run -i $DEBS)"
expect_eq "... and the profile stays on" yes "$(before_unix /etc/pam.d/common-auth)"

ls /var/lib/unilogin >"$T/store.list"
ul_stop
out=$(answers "$ROOT_PASSWORD" | pamt root authenticate acct_mgmt)
expect_contains "helper stopped: root falls through to pam_unix and logs in" "$out" \
	"successfully authenticated"
expect_contains "... and passes common-account" "$out" "account management done"
out=$(answers 'not the password' | pamt root authenticate)
expect_contains "helper stopped: root with a wrong password fails (pam_unix decides)" "$out" \
	"Authentication failure"
out=$(answers pat@example.com "$PASSWORD" "$code" | pamt "$ACCOUNT" authenticate)
expect_lacks "helper stopped: the product account does not log in" "$out" "successfully authenticated"

# ---- remove (twice), reinstall, purge (twice) ----

expect_eq "dpkg -r of the three packages" 0 "$(dpkg_run -r $PKGS)"
expect_lacks "dpkg -r: none is left installed" "$(states)" "=installed"
expect_eq "dpkg -r keeps the store and its keys" "$(cat "$T/store.list")" "$(ls /var/lib/unilogin 2>&1)"
expect_contains "... where the keys are" "$(cat "$T/store.list")" keys
expect_contains "dpkg -r keeps the admin's config" "$(cat /etc/unilogin/unilogin.conf 2>&1)" \
	"product = comms"
for t in auth account password; do
	expect_eq "dpkg -r: common-$t names no unilogin (prerm ran pam-auth-update)" "" \
		"$(names_unilogin /etc/pam.d/common-$t)"
done
expect_eq "dpkg -r: nsswitch.conf names no unilogin" "" "$(nss_lines | grep unilogin || true)"
expect_eq "dpkg -r: the profile is gone" no \
	"$([ -e /usr/share/pam-configs/unilogin ] && echo yes || echo no)"
out=$(answers "$ROOT_PASSWORD" | pamt root authenticate)
expect_contains "after dpkg -r: root logs in through common-auth" "$out" "successfully authenticated"
expect_eq "dpkg -r again works" 0 "$(dpkg_run -r $PKGS)"

expect_eq "dpkg -i after dpkg -r works" 0 "$(dpkg_run -i $DEBS)"
expect_eq "... nsswitch.conf names unilogin again" "passwd group shadow" \
	"$(nss_lines | awk '/ unilogin$/ {sub(":", "", $1); printf "%s%s", s, $1; s=" "}')"
expect_eq "... the profile stays off until the admin enables it" "" \
	"$(names_unilogin /etc/pam.d/common-auth)"
pam-auth-update --enable unilogin --package >>"$T/dpkg.log" 2>&1
start_helper
out=$(answers pat@example.com "$NEW_PASSWORD" "$(totp "$SECRET" 6 +30)" | pamt "$ACCOUNT" authenticate)
expect_contains "... the kept store and keys: the user logs in with its new password and TOTP" \
	"$out" "successfully authenticated"
ul_stop

expect_eq "dpkg -P of the three packages" 0 "$(dpkg_run -P $PKGS)"
expect_eq "dpkg -P: nothing is left of them" \
	"libpam-unilogin=absent libnss-unilogin=absent unilogin=absent " "$(states)"
expect_eq "dpkg -P removes the store" no "$([ -e /var/lib/unilogin ] && echo yes || echo no)"
expect_eq "dpkg -P removes the config" no "$([ -e /etc/unilogin ] && echo yes || echo no)"
expect_eq "dpkg -P removes the socket's enablement" no \
	"$([ -e /etc/systemd/system/sockets.target.wants/unilogind.socket ] && echo yes || echo no)"
for t in auth account password; do
	expect_eq "dpkg -P: common-$t names no unilogin" "" "$(names_unilogin /etc/pam.d/common-$t)"
done
pam-auth-update --package >>"$T/dpkg.log" 2>&1
expect_lacks "pam-auth-update no longer lists the profile" "$(cat /var/lib/pam/seen)" unilogin
expect_eq "dpkg -P again works" 0 "$(dpkg_run -P $PKGS)"

# ---- a second round: no systemd-sysusers, so adduser makes the user ----

userdel unilogin
getent group unilogin >/dev/null && groupdel unilogin
SYSUSERS_HIDDEN=$(command -v systemd-sysusers)
: >"$T/no-sysusers"
chmod 644 "$T/no-sysusers"
mount --bind "$T/no-sysusers" "$SYSUSERS_HIDDEN"
expect_eq "systemd-sysusers is hidden" no \
	"$(sh -c 'command -v systemd-sysusers' >/dev/null && echo yes || echo no)"
expect_eq "without systemd-sysusers: dpkg -i works" 0 "$(dpkg_run -i $DEBS)"
pw=$(getent passwd unilogin || true)
expect_eq "... adduser made the helper's user, with the sysusers file's home and shell" \
	"/var/lib/unilogin:/usr/sbin/nologin" "$(echo "$pw" | cut -d: -f6,7)"
uid=$(echo "$pw" | cut -d: -f3)
expect_eq "... a system uid" yes "$([ -n "$uid" ] && [ "$uid" -lt 1000 ] && echo yes || echo "no ($uid)")"
expect_eq "... its own group" "$(getent group unilogin | cut -d: -f3)" "$(echo "$pw" | cut -d: -f4)"
expect_eq "... the store directory: 0700, the helper's" "700 unilogin" "$(stat -c '%a %U' /var/lib/unilogin)"
expect_eq "without systemd-sysusers: dpkg -i again works" 0 "$(dpkg_run -i $DEBS)"
expect_eq "... the same user" "$uid" "$(id -u unilogin)"
expect_eq "without systemd-sysusers: dpkg -r works" 0 "$(dpkg_run -r $PKGS)"
expect_eq "without systemd-sysusers: dpkg -P works" 0 "$(dpkg_run -P $PKGS)"
expect_eq "... nothing is left of them" \
	"libpam-unilogin=absent libnss-unilogin=absent unilogin=absent " "$(states)"
expect_eq "... nor of the store" no "$([ -e /var/lib/unilogin ] && echo yes || echo no)"
umount "$SYSUSERS_HIDDEN"
SYSUSERS_HIDDEN=
ul_done
