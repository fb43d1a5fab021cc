# tests/lib.sh: sourced by the test scripts.  Starts a real unilogind on a
# temporary socket and state dir, and drives the real PAM stack through
# tests/pamdrive with a PAM service dir of the test's own.  Nothing in the
# machine's /etc is touched.
#
# A test script: `. "$top_srcdir/tests/lib.sh"`, then ul_config, ul_start,
# steps with the assertions below, and `ul_done` at the end.

set -eu

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$top_builddir}"
UL_BIN=$top_builddir
PAMDRIVE=$top_builddir/tests/pamdrive
MODULE=$top_builddir/.libs/pam_unilogin.so
PASSWORD='correct horse battery'
ul_failures=0
ul_checks=0

T=$(mktemp -d /tmp/ultest.XXXXXX)
chmod 755 "$T"
HELPER_PID=

# UL_VALGRIND=1: the helper runs under valgrind; an error or a definite
# leak it reports fails the test when the helper stops.
if [ -n "${UL_VALGRIND:-}" ]; then
	UL_HELPER_WRAP="valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
	    --log-file=$T/valgrind.%p"
fi

UL_TIMEOUT=3
[ -z "${UL_VALGRIND:-}" ] || UL_TIMEOUT=30

# A sanitizer build (UL_SANITIZERS=yes): a program we did not build that
# loads our module (getent through nss_wrapper, a preload) needs the ASan
# runtime first; setuid programs and sshd cannot have it.
ASAN_PRELOAD=
if [ "${UL_SANITIZERS:-no}" = yes ]; then
	ASAN_PRELOAD=$(${CC:-gcc} -print-file-name=libasan.so)
fi
ul_no_sanitizers() { # WHAT: what does not work in a sanitizer build
	[ "${UL_SANITIZERS:-no}" != yes ] ||
		ul_skip "not in a sanitizer build: $1"
}

# Stops the helper (TERM) and checks how it ended.
ul_reap() {
	kill -TERM "$HELPER_PID" 2>/dev/null || true
	rc=0
	wait "$HELPER_PID" 2>/dev/null || rc=$?
	HELPER_PID=
	if [ "$rc" -eq 99 ]; then
		fail "valgrind found errors in the helper:"
		cat "$T"/valgrind.* 2>/dev/null | sed 's/^/#   /' | head -60
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 143 ]; then
		fail "the helper ended with status $rc"
	fi
}

ul_cleanup() {
	if [ -n "$HELPER_PID" ]; then
		ul_reap
	fi
	if [ "$ul_failures" -eq 0 ] && [ -z "${UL_KEEP:-}" ]; then
		rm -rf "$T"
	else
		echo "# kept $T for a look"
	fi
}
trap ul_cleanup EXIT

ul_skip() { echo "SKIP: $*"; exit 77; }

# ---- assertions: each prints one line; a failure is counted, not fatal ----

pass() { ul_checks=$((ul_checks + 1)); echo "PASS: $*"; }
fail() { ul_checks=$((ul_checks + 1)); ul_failures=$((ul_failures + 1)); echo "FAIL: $*"; }

expect_eq() { # WHAT EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi
}

expect_contains() { # WHAT TEXT NEEDLE
	case "$2" in
	*"$3"*) pass "$1" ;;
	*) fail "$1: [$3] not in:"; printf '%s\n' "$2" | sed 's/^/#   /' ;;
	esac
}

expect_lacks() { # WHAT TEXT NEEDLE
	case "$2" in
	*"$3"*) fail "$1: [$3] found in:"; printf '%s\n' "$2" | sed 's/^/#   /' ;;
	*) pass "$1" ;;
	esac
}

ul_done() {
	# the helper's own verdict (valgrind, a crash) counts too
	[ -z "$HELPER_PID" ] || ul_reap
	echo "# $ul_checks checks, $ul_failures failed"
	[ "$ul_failures" -eq 0 ] || exit 1
	[ "$ul_checks" -gt 0 ] || { echo "no checks ran"; exit 99; }
	exit 0
}

# ---- the helper ----

# ul_config [KEY = VALUE]...: the test config; extra lines override.
# UL_STORE=ldap: the helper's store is a loopback directory instead
# (tests/fleet/lib.sh: provider p1, the host's replica c1, started at the
# first ul_config and stopped on exit), so that a test script runs
# unchanged against both backends.
ul_store_lines() {
	[ "${UL_STORE:-lmdb}" = ldap ] || return 0
	if [ -z "${UL_FLEET_UP:-}" ]; then
		. "$top_srcdir/tests/fleet/lib.sh"
		fleet_init
		fleet_load
		fleet_start p1 c1
		fleet_synced c1
		UL_FLEET_UP=1
	fi
	printf '%s\n' "store = ldap" "ldap_read_uri = $(fleet_ldapi c1)" \
		"ldap_write_uri = $(fleet_url p1)" "ldap_base = $FLEET_SUFFIX" \
		"ldap_bind = simple" "ldap_bind_dn = cn=host1,ou=helpers,$FLEET_SUFFIX" \
		"ldap_bind_password_file = $FLEET_DIR/host1.pw"
}

ul_config() {
	ul_store_lines >"$T/store.lines"
	{
		for line in "$@"; do echo "$line"; done
		# the test's defaults, for the keys the test did not set (the
		# tests log in as root far more often than a person would: the
		# rate limit is tested where it is set, tests/ratelimit.sh)
		for line in "product = comms" "socket = $T/run/unilogin.sock" \
		    "state_dir = $T/state" "kdf = 1:8" "kdf_parallel = 2" \
		    "tfa_required = no" "timeout = $UL_TIMEOUT" \
		    "rate_burst = 100000" "rate_per_minute = 100000"; do
			key=${line%% =*}
			case " $* " in *" $key = "*) ;; *) echo "$line" ;; esac
		done
		cat "$T/store.lines"
	} >"$T/unilogin.conf"
	chmod 644 "$T/unilogin.conf"
	ul_pam_service
}

ctl() { "$UL_BIN/uniloginctl" --config "$T/unilogin.conf" "$@"; }

# ul_store_attr EMAIL LDAP-ATTR MDB-DB: what the store holds for a user, on
# either backend: with UL_STORE=ldap the user entry's attribute as the
# provider holds it (ldapsearch as cn=admin), else the LMDB database MDB-DB
# as mdb_dump prints it (every record: the caller greps for the fact).
ul_store_attr() {
	if [ "${UL_STORE:-lmdb}" = ldap ]; then
		fleet_search p1 "ou=users,$FLEET_SUFFIX" "(mail=$1)" "$2" |
			while IFS= read -r line; do
				case $line in
				"$2:: "*) printf '%s: %s\n' "$2" "$(printf '%s' "${line#*:: }" | base64 -d)" ;;
				"$2: "*) printf '%s\n' "$line" ;;
				esac
			done
	else
		command -v mdb_dump >/dev/null || ul_skip "mdb_dump (lmdb-utils) is needed to read the store"
		mdb_dump -p -s "$3" "$T/state"
	fi
}
self() { "$UL_BIN/unilogin" --config "$T/unilogin.conf" "$@"; }

# Waits until the helper answers `status` (bounded: 60 s).
ul_wait_ready() {
	i=0
	while ! ctl status >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -gt 1200 ] || ! kill -0 "$HELPER_PID" 2>/dev/null; then
			echo "helper did not start:"; cat "$T/helper.log"; exit 99
		fi
		sleep 0.05
	done
}

# UL_HELPER_WRAP: a command to run the helper under (e.g. faketime's env).
ul_start() {
	${UL_HELPER_WRAP:-} "$UL_BIN/unilogind" --config "$T/unilogin.conf" --foreground \
		2>>"$T/helper.log" &
	HELPER_PID=$!
	ul_wait_ready
}

ul_stop() {
	ul_reap
}

# ul_restart_empty DIR: the helper again, on an empty store in DIR that
# holds the same `keys` file (what an import into a new host needs); with
# UL_STORE=ldap the directory is emptied too (fleet_reset: a new fleet on
# the same ports, seeded from examples/ldap/base.ldif again).
ul_restart_empty() {
	ul_stop
	[ "${UL_STORE:-lmdb}" != ldap ] || fleet_reset
	mkdir -m 700 "$1"
	cp "$T/state/keys" "$1/keys"
	chmod 600 "$1/keys"
	sed -i "s|^state_dir = .*|state_dir = $1|" "$T/unilogin.conf"
	ul_start
}

ul_kill9() {
	kill -KILL "$HELPER_PID"
	wait "$HELPER_PID" 2>/dev/null || true
	HELPER_PID=
}

# ---- PAM ----

# ul_pam_service [MODULE OPTIONS...]: the test's service "ultest".
ul_pam_service() {
	mkdir -p "$T/pam.d"
	{
		echo "auth     required $MODULE conf=$T/unilogin.conf $*"
		echo "account  required $MODULE conf=$T/unilogin.conf $*"
		echo "password required $MODULE conf=$T/unilogin.conf $*"
		echo "session  required $MODULE conf=$T/unilogin.conf $*"
	} >"$T/pam.d/ultest"
}

# pam USER [pamdrive options] < answers: prints what a person sees; the
# status line of each operation is part of the output.
pam() {
	user=$1; shift
	"$PAMDRIVE" -d "$T/pam.d" "$@" ultest "$user" 2>>"$T/pam.err" || true
}

# answers LINE...: one answer per line, for pam's stdin.
answers() { printf '%s\n' "$@"; }

# ---- fixtures ----

# ul_user EMAIL [PASSWORD]: a confirmed user with a password (U2).
ul_user() {
	code=$(ctl --json user add "$1" | sed -n 's/.*"confirmation_code":"\([^"]*\)".*/\1/p')
	# with a delivery command (tests write it to $T/outbox) the code is sent
	[ -n "$code" ] || [ ! -f "$T/outbox" ] ||
		code=$(awk -v who="verify $1" '$0 == who {getline; c=$0} END{print c}' "$T/outbox")
	[ -n "$code" ] || { echo "no confirmation code for $1"; exit 99; }
	answers "$code" "${2:-$PASSWORD}" | self --password-stdin verify "$1" >/dev/null
}

# ul_account PRODUCT ACCOUNT EMAIL [options]: a product account linked to EMAIL.
ul_account() {
	p=$1 a=$2 e=$3; shift 3
	ctl product add "$p" >/dev/null 2>&1 || true
	ctl account add "$p" "$a" --email "$e" "$@" >/dev/null
}

# ul_wait_sent KIND BEFORE: waits (bounded, 10 s) until the outbox holds
# more than BEFORE deliveries of KIND: a self-service request answers
# first and delivers after (S1), so its code comes a moment later.
# ul_sent KIND counts the deliveries written whole (a record's "KIND
# ADDRESS" line, its message, then "--"): a delivery command writes its
# record in several writes, and a code read between them would be the
# previous one.
ul_sent() {
	awk -v k="$1 " 'substr($0, 1, length(k)) == k { open = 1; next }
		open && $0 == "--" { n++; open = 0 } END { print n + 0 }' "$T/outbox" 2>/dev/null || echo 0
}
ul_wait_sent() {
	i=0
	while [ "$(ul_sent "$1")" -le "$2" ] && [ $i -lt 200 ]; do
		i=$((i + 1)); sleep 0.05
	done
}

# totp SECRET DIGITS [OFFSET]: a code from oathtool at the real clock,
# OFFSET seconds away (e.g. -30 for the previous step).
totp() {
	oathtool --totp -b -d "$2" -N "now ${3:-+0} seconds" "$1"
}

# ul_totp_user EMAIL DIGITS: enrolls an authenticator app and confirms it
# with the previous step's code, so that the current and the next step are
# still free for logins (T3).  Sets SECRET and RECOVERY (the first code).
ul_totp_user() {
	ctl --json tfa enroll "$1" --digits "$2" >"$T/enroll.json"
	SECRET=$(sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' "$T/enroll.json")
	[ -n "$SECRET" ] || { echo "no secret for $1"; cat "$T/enroll.json"; exit 99; }
	# not in a step's last 3 s: the helper must check the code in the step
	# after the one it was made for, not two steps after (crash.sh's 64
	# users once met the boundary: "the code is wrong or has expired")
	_s=$(( $(date +%s) % 30 ))
	[ "$_s" -lt 27 ] || sleep $((30 - _s))
	ctl --json tfa confirm "$1" "$(totp "$SECRET" "$2" -30)" >"$T/confirm.json"
	RECOVERY=$(sed -n '/"recovery_codes"/,/]/s/^ *"\([0-9a-z-]*\)",*$/\1/p' "$T/confirm.json" | head -1)
}
