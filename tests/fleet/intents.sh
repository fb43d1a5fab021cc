#!/bin/sh
# The store's unit tests (tests/unit/test_store_intents, _accounts,
# _history and _more, written against store.h and local.h) run on the
# directory backend: one provider of the loopback
# fleet, read and written by one host (reads on the provider too: these
# tests read their own writes at once), emptied before each test.  What
# passes here keeps the LMDB backend's meaning (F1).  test_store_sshkeys
# waits for the SSH key operations.
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/lib.sh"
UNITS=${UNITS:-"test_store_intents test_store_accounts test_store_history test_store_more test_store_sshkeys"}
for unit in $UNITS; do
	[ -x "$top_builddir/tests/unit/$unit" ] || ul_skip "tests/unit/$unit not built (cmocka)"
done

fleet_init
fleet_load
fleet_start p1
cat >"$T/host1.conf" <<CONF
state_dir = $T/state1
store = ldap
ldap_read_uri = $(fleet_url p1)
ldap_write_uri = $(fleet_url p1)
ldap_base = $FLEET_SUFFIX
ldap_bind = simple
ldap_bind_dn = cn=host1,ou=helpers,$FLEET_SUFFIX
ldap_bind_password_file = $FLEET_DIR/host1.pw
CONF
chmod 644 "$T/host1.conf"
# the reset: every entry the helper made, and its own store, gone
cat >"$T/reset" <<RESET
#!/bin/sh
for ou in users products claims failures apikeys members sshkeys; do
	ldapsearch -x -LLL -o ldif-wrap=no -H '$(fleet_url p1)' -D '$FLEET_ADMIN' \
	    -y '$FLEET_DIR/admin.pw' -b "ou=\$ou,$FLEET_SUFFIX" -s one dn 2>/dev/null |
	sed -n 's/^dn: //p'
done | ldapdelete -x -c -r -H '$(fleet_url p1)' -D '$FLEET_ADMIN' \
    -y '$FLEET_DIR/admin.pw' >/dev/null 2>&1
ldapdelete -x -H '$(fleet_url p1)' -D '$FLEET_ADMIN' -y '$FLEET_DIR/admin.pw' \
    'cn=next-uid,ou=meta,$FLEET_SUFFIX' >/dev/null 2>&1
rm -rf '$T/state1'    # the host's own store (audit, sessions)
exit 0
RESET
chmod 755 "$T/reset"

# run_unit NAME: the unit test NAME on the directory; every one of its
# tests must pass
run_unit() {
	out=$(UL_TEST_STORE_CONF=$T/host1.conf UL_TEST_STORE_RESET=$T/reset \
		"$top_builddir/tests/unit/$1" 2>&1) || true
	echo "$out" | grep -E '^\[  FAILED  \] test_|^\[  (PASSED|FAILED)  \] [0-9]' |
		sort -u | sed "s/^/# $1: /"
	n=$(echo "$out" | sed -n 's/^\[==========\] Running \([0-9]*\) test(s)\./\1/p')
	expect_contains "$1 on store = ldap: all ${n:-?} of its tests pass" "$out" \
		"[  PASSED  ] ${n:-none} test(s)."
}
for unit in $UNITS; do
	run_unit "$unit"
done
fleet_stop p1
ul_done
