#!/bin/sh
# libnss_unilogin, loaded for real through nss_wrapper (nothing in /etc is
# touched): product accounts resolve as Unix users and private groups.
. "$top_srcdir/tests/lib.sh"
WRAPPER=
for f in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do
	[ -e "$f" ] && WRAPPER=$f
done
[ -n "$WRAPPER" ] || ul_skip "nss_wrapper (package libnss-wrapper) is needed"

ul_config "nss_timeout = 1" "home_template = /srv/home/%u" "shell = /bin/sh"
ul_start
ul_user ann@example.com
ul_user ben@example.com
ul_account comms ann ann@example.com
ul_account comms ben ben@example.com --uid 900000500
ctl product add other >/dev/null
ul_account other ann2 ann@example.com

# the machine's files, as nss_wrapper shows them: root and a local admin
printf 'root:x:0:0:root:/root:/bin/bash\nadmin:x:1000:1000::/home/admin:/bin/bash\n' >"$T/passwd"
printf 'root:x:0:\nadmin:x:1000:\n' >"$T/group"
nss() {
	env LD_PRELOAD="$ASAN_PRELOAD${ASAN_PRELOAD:+ }$WRAPPER" NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
	    NSS_WRAPPER_MODULE_SO_PATH="$top_builddir/.libs/libnss_unilogin.so.2" \
	    NSS_WRAPPER_MODULE_FN_PREFIX=unilogin UNILOGIN_CONF="$T/unilogin.conf" "$@"
}
uid_of() { ctl --json account show "$1" "$2" | sed -n 's/.*"uid":\([0-9]*\).*/\1/p'; }

ann_uid=$(uid_of comms ann)
expect_eq "getent passwd ACCOUNT prints what the store holds" \
	"ann:x:$ann_uid:$ann_uid:Your first comms account:/srv/home/ann:/bin/sh" \
	"$(nss getent passwd ann)"
expect_eq "getent passwd UID" "ben:x:900000500:900000500:Your first comms account:/srv/home/ben:/bin/sh" \
	"$(nss getent passwd 900000500)"
expect_eq "getent group: a private group" "ben:x:900000500:" "$(nss getent group ben)"
expect_eq "getent group GID" "ann:x:$ann_uid:" "$(nss getent group "$ann_uid")"
expect_eq "id ACCOUNT" "uid=$ann_uid(ann) gid=$ann_uid(ann) groups=$ann_uid(ann)" "$(nss id ann)"
all=$(nss getent passwd)
expect_contains "enumeration: files first" "$all" "root:x:0:0"
expect_contains "enumeration: then the accounts" "$all" "ben:x:900000500"
expect_lacks "enumeration: only this host's product" "$all" "ann2"
expect_contains "group enumeration" "$(nss getent group)" "ann:x:$ann_uid:"
out=$(nss getent passwd ann2) && rc=0 || rc=$?
expect_eq "another product's account is not a user here" 2 "$rc"
out=$(nss getent passwd "$(uid_of other ann2)") && rc=0 || rc=$?
expect_eq "... nor its uid" 2 "$rc"
out=$(nss getent passwd nosuch) && rc=0 || rc=$?
expect_eq "an unknown name is not found" 2 "$rc"
expect_lacks "no password hash, ever" "$(nss getent passwd ann)" '$argon2'

# a process keeps its connection between lookups; when the helper has gone
# meanwhile (restarted here), the next lookup reconnects
if [ -x /usr/bin/python3 ]; then
	mkfifo "$T/go" "$T/done"
	nss /usr/bin/python3 -c '
import pwd, sys
a = pwd.getpwnam("ann").pw_uid
open(sys.argv[2], "w").write("1\n")          # first lookup done
open(sys.argv[1]).read()                      # wait: the helper restarts
print(a, pwd.getpwnam("ann").pw_uid, pwd.getpwnam("ben").pw_uid)
' "$T/go" "$T/done" >"$T/two.out" 2>"$T/two.err" &
	PY=$!
	read -r _ <"$T/done"
	ul_stop
	ul_start
	echo go >"$T/go"
	wait $PY || true
	expect_eq "a kept connection is renewed after the helper restarts" \
		"$ann_uid $ann_uid 900000500" "$(cat "$T/two.out")"
fi

# a banned account still resolves: files it owns keep their owner
ctl account ban comms ben >/dev/null
expect_contains "a banned account still resolves" "$(nss getent passwd ben)" "ben:x:900000500"

# uid stability
out=$(ctl account add comms cat --email ben@example.com --uid 900000500 2>&1) && rc=0 || rc=$?
expect_eq "two accounts never share a uid" 1 "$rc"
out=$(ctl account add comms cat --email ben@example.com --uid 100 2>&1) && rc=0 || rc=$?
expect_contains "S6: a uid outside uid_min..uid_max is refused" "$out" "outside uid_min..uid_max"
ul_kill9
ul_start
expect_eq "a uid survives a helper restart" "$ann_uid" "$(uid_of comms ann)"
ctl account unlink comms ann >/dev/null
ctl account link comms ann ann@example.com >/dev/null
expect_eq "a uid survives unlink and relink" "$ann_uid" "$(uid_of comms ann)"
ctl export >"$T/dump"
ul_restart_empty "$T/state2"
ctl import <"$T/dump" >/dev/null
expect_eq "a uid survives export and import" "$ann_uid" "$(uid_of comms ann)"
ul_user dan@example.com
ul_account comms dan dan@example.com
dan_uid=$(uid_of comms dan)
if [ "$dan_uid" != "$ann_uid" ] && [ "$dan_uid" != 900000500 ]; then
	pass "a new account after the import gets a uid of its own"
else
	fail "a new account after the import reused uid $dan_uid"
fi

# the helper stopped: files still answer at once, accounts fail fast
ul_stop
ms() { s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
t_root=$(ms nss getent passwd root)
expect_eq "helper stopped: root still resolves from files" "root:x:0:0:root:/root:/bin/bash" \
	"$(nss getent passwd root)"
echo "# root with the helper stopped: $t_root ms"
if [ "$t_root" -lt 100 ]; then pass "helper stopped: root within 100 ms"
else fail "helper stopped: root took $t_root ms"; fi
out=$(nss getent passwd ann) && rc=0 || rc=$?
expect_eq "helper stopped: an account is not found" 2 "$rc"
t_ann=$(ms nss getent passwd ann)
echo "# an account with the helper stopped: $t_ann ms (nss_timeout 1 s)"
if [ "$t_ann" -lt 1000 ]; then pass "helper stopped: an account fails within nss_timeout"
else fail "helper stopped: an account took $t_ann ms"; fi
ul_done
